"""The tutorial-style onnxruntime script (tutorial_script.py) runs unchanged with
`import kiln as ort` and with `import onnxruntime as ort` and both give the same NodeArgs, metadata
and outputs (compare_tutorial.py), on a scikit-learn pipeline converted by skl2onnx (scaler and
logistic regression: a label and a ZipMap of class probabilities) and on a small convolutional
network. (The torchvision and transformers models of the issue need torch; see docs/python.md for
those runs.)
"""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


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


def test_tutorial_script_runs_unchanged_on_both(tmp_path):
    models = []
    for name, make in (("pipeline.onnx", sklearn_pipeline), ("cnn.onnx", small_cnn)):
        make(str(tmp_path / name))
        models.append(str(tmp_path / name))
    r = subprocess.run([sys.executable, os.path.join(HERE, "compare_tutorial.py"), *models],
                       capture_output=True, text=True, timeout=600)
    print(r.stdout)
    assert r.returncode == 0, r.stdout + r.stderr
