"""The tutorial-style onnxruntime script (tutorial_script.py) runs unchanged with
`import kiln as ort` and with `import onnxruntime as ort` and both give the same NodeArgs, metadata
and outputs (compare_tutorial.py), on a scikit-learn pipeline converted by skl2onnx (scaler and
logistic regression: a label and a ZipMap of class probabilities) and on a small convolutional
network; and on the graphs PyTorch's exporters write for a torchvision CNN (ResNet-50) and a
transformers encoder (BERT-base), from torch.onnx.export with dynamo=True and from the TorchScript
exporter, kept without their weights in models/ and filled with seeded random ones here
(fixtures.py), so that no torch is needed.
"""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def sklearn_pipeline(path):
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 4)).astype(np.float32)
    y = (x[:, 0] + 2 * x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1).astype(np.int64)
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(x, y)
    onx = to_onnx(pipe, x[:1], target_opset={"": 17, "ai.onnx.ml": 3})
    onnx.save(onx, path)


def small_cnn(path):
    rng = np.random.default_rng(1)
    w1 = numpy_helper.from_array(rng.standard_normal((8, 3, 3, 3)).astype(np.float32), "w1")
    w2 = numpy_helper.from_array(rng.standard_normal((10, 8)).astype(np.float32), "w2")
    nodes = [helper.make_node("Conv", ["x", "w1"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["r"]),
             helper.make_node("GlobalAveragePool", ["r"], ["g"]),
             helper.make_node("Flatten", ["g"], ["f"]),
             helper.make_node("Gemm", ["f", "w2"], ["logits"], transB=1),
             helper.make_node("Softmax", ["logits"], ["probs"], axis=1)]
    g = helper.make_graph(nodes, "cnn",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                         ["batch", 3, 16, 16])],
                          [helper.make_tensor_value_info("probs", TensorProto.FLOAT,
                                                         ["batch", 10])], [w1, w2])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8,
                          producer_name="pytorch", producer_version="2.5")
    onnx.save(m, path)


def make_models(folder):
    """Writes the test's models (pipeline.onnx, cnn.onnx) into `folder`; returns their paths."""
    os.makedirs(folder, exist_ok=True)
    models = []
    for name, make in (("pipeline.onnx", sklearn_pipeline), ("cnn.onnx", small_cnn)):
        make(os.path.join(folder, name))
        models.append(os.path.join(folder, name))
    return models


def test_exported_torch_models_run_unchanged_on_both(tmp_path):
    import fixtures
    models = []
    for name in sorted(os.listdir(os.path.join(HERE, "models"))):
        path = str(tmp_path / name)
        onnx.save(fixtures.fill(onnx.load(os.path.join(HERE, "models", name))), path)
        models.append(path)
    assert len(models) == 4, models
    r = subprocess.run([sys.executable, os.path.join(HERE, "compare_tutorial.py"), *models],
                       capture_output=True, text=True, timeout=1200)
    print(r.stdout)
    assert r.returncode == 0, r.stdout + r.stderr


def test_tutorial_script_runs_unchanged_on_both(tmp_path):
    models = make_models(str(tmp_path))
    r = subprocess.run([sys.executable, os.path.join(HERE, "compare_tutorial.py"), *models],
                       capture_output=True, text=True, timeout=600)
    print(r.stdout)
    assert r.returncode == 0, r.stdout + r.stderr


if __name__ == "__main__":  # test_tutorial.py FOLDER: only write the models (scripts/test.sh)
    print("\n".join(make_models(sys.argv[1])))
