// Unit tests of the fusion passes (levels 2 and 3): expected structure after each pass, equal
// outputs before and after, and the cases where a pass must not fire. The clean-up passes are in
// passes_test.cc.
#include <gtest/gtest.h>

#include "passes/pass_test_util.h"

namespace kiln::test {
namespace {

// ---- conv-bn-fusion

Model ConvBn(bool conv_transpose = false, int group = 1) {
  ModelBuilder b;
  const int64_t cin = 4, cout = 6;
  b.Input("x", {1, cin, 5, 5});
  if (conv_transpose) {
    b.RandomInit("w", {cin, cout / group, 3, 3});
  } else {
    b.RandomInit("w", {cout, cin / group, 3, 3});
  }
  b.RandomInit("bias", {cout}).RandomInit("scale", {cout}, 0.5, 2).RandomInit("beta", {cout});
  b.RandomInit("mean", {cout}).RandomInit("var", {cout}, 0.5, 2);
  b.Node(conv_transpose ? "ConvTranspose" : "Conv", {"x", "w", "bias"}, {"c"},
         {IntAttr("group", group)});
  b.Node("BatchNormalization", {"c", "scale", "beta", "mean", "var"}, {"y"},
         {FloatAttr("epsilon", 1e-3f)});
  b.Output("y");
  return b.Build();
}

TEST(ConvBnFusion, FusesConvAndConvTranspose) {
  for (bool ct : {false, true}) {
    for (int group : {1, 2}) {
      SCOPED_TRACE(std::string(ct ? "ConvTranspose" : "Conv") + " group " + std::to_string(group));
      Model m = ConvBn(ct, group);
      RunOnly(m, "conv-bn-fusion");
      EXPECT_EQ(CountOp(m, "BatchNormalization"), 0);
      EXPECT_EQ(m.graph->nodes().size(), 1u);
      EXPECT_EQ(m.graph->value(m.graph->outputs()[0]).name, "y");
      ExpectSameOutputs(ConvBn(ct, group), std::move(m), 1e-5);
    }
  }
}

TEST(ConvBnFusion, FusesGemm) {
  auto build = [] {
    ModelBuilder b;
    b.Input("x", {3, 4}).RandomInit("w", {5, 4}).RandomInit("c", {5});
    b.RandomInit("scale", {5})
        .RandomInit("beta", {5})
        .RandomInit("mean", {5})
        .RandomInit("var", {5}, 0.5, 2);
    b.Node("Gemm", {"x", "w", "c"}, {"g"}, {IntAttr("transB", 1), FloatAttr("beta", 0.5f)});
    b.Node("BatchNormalization", {"g", "scale", "beta", "mean", "var"}, {"y"}).Output("y");
    return b.Build();
  };
  Model m = build();
  RunOnly(m, "conv-bn-fusion");
  EXPECT_EQ(CountOp(m, "BatchNormalization"), 0);
  ExpectSameOutputs(build(), std::move(m));
}

TEST(ConvBnFusion, DoesNotFireWhenConvOutputHasAnotherReaderOrWeightsAreInputs) {
  {
    ModelBuilder b;
    b.Input("x", {1, 2, 4, 4}).RandomInit("w", {2, 2, 1, 1});
    b.RandomInit("s", {2})
        .RandomInit("bb", {2})
        .RandomInit("mean", {2})
        .RandomInit("var", {2}, 1, 2);
    b.Node("Conv", {"x", "w"}, {"c"});
    b.Node("BatchNormalization", {"c", "s", "bb", "mean", "var"}, {"y"}).Output("y").Output("c");
    Model m = b.Build();
    RunOnly(m, "conv-bn-fusion");
    EXPECT_EQ(CountOp(m, "BatchNormalization"), 1);  // c is a graph output
  }
  {
    ModelBuilder b;
    b.Input("x", {1, 2, 4, 4}).Input("w", {2, 2, 1, 1});
    b.RandomInit("s", {2})
        .RandomInit("bb", {2})
        .RandomInit("mean", {2})
        .RandomInit("var", {2}, 1, 2);
    b.Node("Conv", {"x", "w"}, {"c"});
    b.Node("BatchNormalization", {"c", "s", "bb", "mean", "var"}, {"y"}).Output("y");
    Model m = b.Build();
    RunOnly(m, "conv-bn-fusion");
    EXPECT_EQ(CountOp(m, "BatchNormalization"), 1);  // weights are not constant
  }
  {
    ModelBuilder b;
    b.Input("x", {1, 2, 4, 4}).RandomInit("w", {2, 2, 1, 1});
    b.RandomInit("s", {2})
        .RandomInit("bb", {2})
        .RandomInit("mean", {2})
        .RandomInit("var", {2}, 1, 2);
    b.Node("Conv", {"x", "w"}, {"c"}).Node("Relu", {"c"}, {"r"});
    b.Node("BatchNormalization", {"c", "s", "bb", "mean", "var"}, {"y"}).Output("y").Output("r");
    Model m = b.Build();
    RunOnly(m, "conv-bn-fusion");
    EXPECT_EQ(CountOp(m, "BatchNormalization"), 1);  // c feeds two consumers
  }
  {
    ModelBuilder b(15);
    b.Input("x", {1, 2, 4, 4}).RandomInit("w", {2, 2, 1, 1});
    b.RandomInit("s", {2})
        .RandomInit("bb", {2})
        .RandomInit("mean", {2})
        .RandomInit("var", {2}, 1, 2);
    b.Node("Conv", {"x", "w"}, {"c"});
    b.Node("BatchNormalization", {"c", "s", "bb", "mean", "var"}, {"y", "rm", "rv"},
           {IntAttr("training_mode", 1)});
    b.Output("y");
    Model m = b.Build();
    RunOnly(m, "conv-bn-fusion");
    EXPECT_EQ(CountOp(m, "BatchNormalization"), 1);  // training mode is not handled
  }
}

Model MatMulScale(const std::string& op, std::vector<int64_t> scale_dims) {
  ModelBuilder b;
  b.Input("x", {3, 4}).RandomInit("w", {4, 5}).RandomInit("c", {5});
  int64_t n = 1;
  for (int64_t d : scale_dims) n *= d;
  b.RandomInit("s", scale_dims, 0.5, 2);
  if (op == "Gemm") {
    b.Node("Gemm", {"x", "w", "c"}, {"m"}, {FloatAttr("beta", 0.5f)});
  } else {
    b.Node("MatMul", {"x", "w"}, {"m"});
  }
  b.Node("Mul", {"m", "s"}, {"y"}).Output("y");
  (void)n;
  return b.Build();
}

TEST(ConvBnFusion, FoldsPerColumnScaleIntoGemmAndMatMul) {
  for (const std::string op : {"Gemm", "MatMul"}) {
    for (auto dims : std::vector<std::vector<int64_t>>{{5}, {1, 5}, {}}) {
      Model m = MatMulScale(op, dims);
      RunOnly(m, "conv-bn-fusion");
      EXPECT_EQ(CountOp(m, "Mul"), 0) << op;
      ExpectSameOutputs(MatMulScale(op, dims), std::move(m));
    }
  }
  Model rows = MatMulScale("MatMul", {3, 1});  // scales rows, not columns
  RunOnly(rows, "conv-bn-fusion");
  EXPECT_EQ(CountOp(rows, "Mul"), 1);
}

// ---- matmul-add-fusion

TEST(MatMulAddFusion, TwoDimensionalBecomesGemm) {
  auto build = [] {
    ModelBuilder b;
    b.Input("x", {-1, 4}).RandomInit("w", {4, 3}).RandomInit("bias", {3});
    b.Node("MatMul", {"x", "w"}, {"m"}).Node("Add", {"bias", "m"}, {"y"}).Output("y");
    return b.Build();
  };
  Model m = build();
  RunOnly(m, "matmul-add-fusion");
  ASSERT_EQ(m.graph->nodes().size(), 1u);
  EXPECT_EQ(m.graph->nodes()[0].op_type, "Gemm");
  ExpectSameOutputs(build(), std::move(m));
}

TEST(MatMulAddFusion, NotForThreeDimensionalOrFullBias) {
  ModelBuilder b;
  b.Input("x", {2, 5, 4}).Input("x2", {2, 4}).RandomInit("w", {4, 3}).RandomInit("bias", {3});
  b.RandomInit("full", {5, 2, 3});
  b.Node("MatMul", {"x", "w"}, {"m"}).Node("Add", {"m", "bias"}, {"y"});
  b.Node("MatMul", {"x2", "w"}, {"m2"}).Node("Add", {"m2", "full"}, {"y2"});
  b.Output("y").Output("y2");
  Model m = b.Build();
  RunOnly(m, "matmul-add-fusion");
  EXPECT_EQ(CountOp(m, "Gemm"), 0);
}

// ---- transpose-reshape-folding

TEST(TransposeReshapeFolding, CollapsesChains) {
  auto build = [] {
    ModelBuilder b;
    b.Input("x", {2, 3, 4}).Init("s1", I({6, 4})).Init("s2", I({4, 6}));
    b.Node("Transpose", {"x"}, {"t1"}, {IntsAttr("perm", {1, 2, 0})});
    b.Node("Transpose", {"t1"}, {"t2"}, {IntsAttr("perm", {2, 0, 1})});  // identity overall
    b.Node("Transpose", {"t2"}, {"t3"}, {IntsAttr("perm", {1, 0, 2})});
    b.Node("Transpose", {"t3"}, {"t4"}, {IntsAttr("perm", {0, 2, 1})});
    b.Node("Reshape", {"t4", "s1"}, {"r1"}).Node("Reshape", {"r1", "s2"}, {"y"}).Output("y");
    return b.Build();
  };
  Model m = build();
  PassOptions po = PassOptionsFor(SessionOptions{});
  po.level = 2;
  ASSERT_TRUE(RunPasses(m, po).ok());
  EXPECT_EQ(CountOp(m, "Transpose"), 1);
  EXPECT_EQ(CountOp(m, "Reshape"), 1);
  ExpectSameOutputs(build(), std::move(m));
}

TEST(TransposeReshapeFolding, KeepsReshapeWithCopiedZeroDim) {
  ModelBuilder b;
  b.Input("x", {2, 3, 4}).Init("s1", I({6, 4})).Init("s2", I({0, 2, 2}));
  b.Node("Reshape", {"x", "s1"}, {"r1"}).Node("Reshape", {"r1", "s2"}, {"y"}).Output("y");
  Model m = b.Build();
  auto r = RunOnly(m, "transpose-reshape-folding");
  EXPECT_EQ(Rewrites(r, "transpose-reshape-folding"), 0);
}

// ---- gelu-fusion and layer-norm-fusion

Model GeluPattern(bool half_first) {
  ModelBuilder b(17);
  b.Input("x", {2, 8}).Init("sqrt2", F({1.4142135f}, {})).Init("one", F({1}, {}));
  b.Init("half", F({0.5f}, {}));
  b.Node("Div", {"x", "sqrt2"}, {"d"}).Node("Erf", {"d"}, {"e"}).Node("Add", {"e", "one"}, {"a"});
  if (half_first) {
    b.Node("Mul", {"x", "half"}, {"h"}).Node("Mul", {"h", "a"}, {"y"});
  } else {
    b.Node("Mul", {"x", "a"}, {"m"}).Node("Mul", {"m", "half"}, {"y"});
  }
  b.Output("y");
  return b.Build();
}

TEST(GeluFusion, RecognizesBothOrders) {
  for (bool half_first : {false, true}) {
    Model m = GeluPattern(half_first);
    RunOnly(m, "gelu-fusion");
    ASSERT_EQ(m.graph->nodes().size(), 1u);
    EXPECT_EQ(m.graph->nodes()[0].op_type, "Gelu");
    ExpectSameOutputs(GeluPattern(half_first), std::move(m));
  }
}

Model GeluTanhPattern() {
  ModelBuilder b(17);
  b.Input("x", {2, 8}).Init("three", F({3}, {})).Init("k", F({0.044715f}, {}));
  b.Init("c", F({0.7978845608f}, {})).Init("one", F({1}, {})).Init("half", F({0.5f}, {}));
  b.Node("Mul", {"x", "half"}, {"h"}).Node("Pow", {"x", "three"}, {"p"});
  b.Node("Mul", {"p", "k"}, {"m1"}).Node("Add", {"x", "m1"}, {"a"});
  b.Node("Mul", {"a", "c"}, {"m2"}).Node("Tanh", {"m2"}, {"t"});
  b.Node("Add", {"t", "one"}, {"a1"}).Node("Mul", {"h", "a1"}, {"y"}).Output("y");
  return b.Build();
}

TEST(GeluFusion, RecognizesTanhApproximation) {
  Model m = GeluTanhPattern();
  RunOnly(m, "gelu-fusion");
  ASSERT_EQ(m.graph->nodes().size(), 1u);
  EXPECT_EQ(m.graph->nodes()[0].op_type, "Gelu");
  EXPECT_EQ(m.graph->nodes()[0].FindAttribute("approximate")->s, "tanh");
  ExpectSameOutputs(GeluTanhPattern(), std::move(m));
}

TEST(GeluFusion, NotForPortableOutputBelowOpset20OrSharedIntermediate) {
  Model m = GeluPattern(false);
  RunOnly(m, "gelu-fusion", /*allow_kiln_ops=*/false);
  EXPECT_EQ(CountOp(m, "Gelu"), 0);
  ModelBuilder b(17);
  b.Input("x", {2, 8}).Init("sqrt2", F({1.4142135f}, {})).Init("one", F({1}, {}));
  b.Init("half", F({0.5f}, {}));
  b.Node("Div", {"x", "sqrt2"}, {"d"}).Node("Erf", {"d"}, {"e"}).Node("Add", {"e", "one"}, {"a"});
  b.Node("Mul", {"x", "a"}, {"m"}).Node("Mul", {"m", "half"}, {"y"});
  b.Output("y").Output("e");
  Model m2 = b.Build();
  RunOnly(m2, "gelu-fusion");
  EXPECT_EQ(CountOp(m2, "Gelu"), 0);
}

Model LayerNormPattern() {
  ModelBuilder b(13);
  b.Input("x", {2, 3, 8}).Init("two", F({2}, {})).Init("eps", F({1e-5f}, {}));
  b.RandomInit("gamma", {8}).RandomInit("beta", {8});
  b.Node("ReduceMean", {"x"}, {"m"}, {IntsAttr("axes", {-1})});
  b.Node("Sub", {"x", "m"}, {"d"}).Node("Pow", {"d", "two"}, {"p"});
  b.Node("ReduceMean", {"p"}, {"v"}, {IntsAttr("axes", {-1})});
  b.Node("Add", {"v", "eps"}, {"ve"}).Node("Sqrt", {"ve"}, {"s"}).Node("Div", {"d", "s"}, {"n"});
  b.Node("Mul", {"n", "gamma"}, {"g"}).Node("Add", {"g", "beta"}, {"y"}).Output("y");
  return b.Build();
}

TEST(LayerNormFusion, RecognizesExportedPattern) {
  Model m = LayerNormPattern();
  RunOnly(m, "layer-norm-fusion");
  ASSERT_EQ(m.graph->nodes().size(), 1u);
  EXPECT_EQ(m.graph->nodes()[0].op_type, "LayerNormalization");
  ExpectSameOutputs(LayerNormPattern(), std::move(m), 1e-4);
}

TEST(LayerNormFusion, NotWhenReducingAnotherAxis) {
  ModelBuilder b(13);
  b.Input("x", {2, 3, 8}).Init("two", F({2}, {})).Init("eps", F({1e-5f}, {}));
  b.Node("ReduceMean", {"x"}, {"m"}, {IntsAttr("axes", {1})});
  b.Node("Sub", {"x", "m"}, {"d"}).Node("Pow", {"d", "two"}, {"p"});
  b.Node("ReduceMean", {"p"}, {"v"}, {IntsAttr("axes", {1})});
  b.Node("Add", {"v", "eps"}, {"ve"}).Node("Sqrt", {"ve"}, {"s"}).Node("Div", {"d", "s"}, {"y"});
  b.Output("y");
  Model m = b.Build();
  RunOnly(m, "layer-norm-fusion");
  EXPECT_EQ(CountOp(m, "LayerNormalization"), 0);
}

// ---- attention-fusion

// BERT's self-attention as torch exports it: K transposed to [B,H,D,T] by one Transpose.
Model SdpaPattern(bool with_mask, bool mask_used_elsewhere = false) {
  ModelBuilder b(17);
  b.Input("q", {2, 3, 5, 4}).Input("k", {2, 5, 3, 4}).Input("v", {2, 3, 5, 6});
  b.Input("mask", {2, 1, 1, 5}).Init("c", F({2.0f}, {}));
  b.Node("Transpose", {"k"}, {"kt"}, {IntsAttr("perm", {0, 2, 3, 1})});
  b.Node("MatMul", {"q", "kt"}, {"s"}).Node("Div", {"s", "c"}, {"sd"});
  if (with_mask) {
    b.Node("Add", {"sd", "mask"}, {"sm"});
  } else {
    b.Node("Identity", {"sd"}, {"sm"});
  }
  b.Node("Softmax", {"sm"}, {"p"}, {IntAttr("axis", -1)}).Node("MatMul", {"p", "v"}, {"y"});
  b.Output("y");
  if (mask_used_elsewhere) b.Output("sd");
  return b.Build();
}

TEST(AttentionFusion, RecognizesScaledDotProductWithMask) {
  Model m = SdpaPattern(true);
  auto r = RunOnly(m, "attention-fusion");
  EXPECT_EQ(Rewrites(r, "attention-fusion"), 1);
  EXPECT_EQ(CountOp(m, "Attention"), 1);
  EXPECT_EQ(CountOp(m, "Softmax"), 0);
  EXPECT_EQ(CountOp(m, "MatMul"), 0);
  ExpectSameOutputs(SdpaPattern(true), std::move(m));
}

TEST(AttentionFusion, NotWhenScoresAreReadElsewhereOrPortableBelowOpset23) {
  Model m = SdpaPattern(true, /*mask_used_elsewhere=*/true);
  RunOnly(m, "attention-fusion");
  EXPECT_EQ(CountOp(m, "Attention"), 0);
  Model m2 = SdpaPattern(true);
  RunOnly(m2, "attention-fusion", /*allow_kiln_ops=*/false);
  EXPECT_EQ(CountOp(m2, "Attention"), 0);
}

// ---- activation-fusion

Model ConvAddRelu() {
  ModelBuilder b;
  b.Input("x", {1, 3, 6, 6})
      .Input("z", {1, 4, 6, 6})
      .RandomInit("w", {4, 3, 3, 3})
      .RandomInit("bias", {4});
  b.Node("Conv", {"x", "w", "bias"}, {"c"}, {IntsAttr("pads", {1, 1, 1, 1})});
  b.Node("Add", {"c", "z"}, {"s"}).Node("Relu", {"s"}, {"y"}).Output("y");
  return b.Build();
}

TEST(ActivationFusion, ConvWithResidualAndRelu) {
  Model m = ConvAddRelu();
  RunOnly(m, "activation-fusion");
  ASSERT_EQ(m.graph->nodes().size(), 1u);
  const Node& n = m.graph->nodes()[0];
  EXPECT_EQ(n.domain, "kiln");
  EXPECT_EQ(n.op_type, "FusedConv");
  EXPECT_EQ(n.inputs.size(), 4u);
  EXPECT_EQ(n.FindAttribute("activation")->s, "Relu");
  ExpectSameOutputs(ConvAddRelu(), std::move(m));
}

Model MatMulBiasGelu() {
  ModelBuilder b(20);
  b.Input("x", {2, 5, 4}).RandomInit("w", {4, 6}).RandomInit("bias", {6});
  b.Node("MatMul", {"x", "w"}, {"m"}).Node("Add", {"m", "bias"}, {"a"});
  b.Node("Gelu", {"a"}, {"y"}).Output("y");
  return b.Build();
}

TEST(ActivationFusion, MatMulBiasGelu) {
  Model m = MatMulBiasGelu();
  RunOnly(m, "activation-fusion");
  ASSERT_EQ(m.graph->nodes().size(), 1u);
  EXPECT_EQ(m.graph->nodes()[0].op_type, "FusedMatMul");
  EXPECT_EQ(m.graph->nodes()[0].FindAttribute("activation")->s, "Gelu");
  ExpectSameOutputs(MatMulBiasGelu(), std::move(m));
}

TEST(ActivationFusion, NotWhenPortableOrOutputShared) {
  Model m = ConvAddRelu();
  RunOnly(m, "activation-fusion", /*allow_kiln_ops=*/false);
  EXPECT_EQ(CountOp(m, "FusedConv"), 0);
  ModelBuilder b;
  b.Input("x", {1, 3, 6, 6}).RandomInit("w", {4, 3, 3, 3});
  b.Node("Conv", {"x", "w"}, {"c"}).Node("Relu", {"c"}, {"y"}).Output("y").Output("c");
  Model m2 = b.Build();
  RunOnly(m2, "activation-fusion");
  EXPECT_EQ(CountOp(m2, "Conv"), 1);
  EXPECT_EQ(CountOp(m2, "Relu"), 1);
}

// ---- the whole pipeline keeps outputs

TEST(Pipeline, AllLevelsKeepOutputs) {
  for (int level = 1; level <= 3; ++level) {
    Model m = ConvBn();
    PassOptions po = PassOptionsFor(SessionOptions{});
    po.level = level;
    auto r = RunPasses(m, po);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ExpectSameOutputs(ConvBn(), std::move(m));
  }
}

// ---- layout-propagation

// A CNN with every op kind the pass converts: Conv, Relu, MaxPool, BatchNormalization, depthwise
// Conv, Sigmoid and Mul (SiLU), GlobalAveragePool (or ReduceMean) and 1x1 Convs of a
// squeeze-excite, Mul by the [N, C, 1, 1] scale, Concat with a second branch, AveragePool with
// padding, a residual Conv + Add, Add of a [C, 1, 1] constant and of a scalar, ReduceMean over
// H, W; Relu's output is also a graph output and Flatten reads the last value plain.
Model LayoutCnn(int opset, bool reduce_mean_se) {
  ModelBuilder b(opset);
  b.Input("x", {-1, 3, 13, 11});
  b.RandomInit("w1", {8, 3, 3, 3}).RandomInit("b1", {8});
  b.RandomInit("scale", {8}, 0.5, 2).RandomInit("beta", {8}).RandomInit("mean", {8});
  b.RandomInit("var", {8}, 0.5, 2);
  b.RandomInit("wd", {8, 1, 3, 3}).RandomInit("ws1", {4, 8, 1, 1}).RandomInit("ws2", {8, 4, 1, 1});
  b.RandomInit("wb", {6, 3, 5, 5}).RandomInit("wr", {14, 14, 1, 1}).RandomInit("cc", {14, 1, 1});
  b.Init("half", F({0.5f}, {}));
  b.Node("Conv", {"x", "w1", "b1"}, {"c1"}, {IntsAttr("pads", {1, 1, 1, 1})});
  b.Node("Relu", {"c1"}, {"r1"});
  b.Node("MaxPool", {"r1"}, {"p1"},
         {IntsAttr("kernel_shape", {3, 3}), IntsAttr("strides", {2, 2}),
          IntsAttr("pads", {1, 1, 1, 1}), IntAttr("ceil_mode", 1)});
  b.Node("BatchNormalization", {"p1", "scale", "beta", "mean", "var"}, {"bn"});
  b.Node("Conv", {"bn", "wd"}, {"dw"}, {IntAttr("group", 8), IntsAttr("pads", {1, 1, 1, 1})});
  b.Node("Sigmoid", {"dw"}, {"sg"});
  b.Node("Mul", {"dw", "sg"}, {"silu"});
  if (reduce_mean_se) {
    if (opset >= 18) {
      b.Init("axes", I({-1, 2}));
      b.Node("ReduceMean", {"silu", "axes"}, {"gap"});
    } else {
      b.Node("ReduceMean", {"silu"}, {"gap"}, {IntsAttr("axes", {-1, 2})});
    }
  } else {
    b.Node("GlobalAveragePool", {"silu"}, {"gap"});
  }
  b.Node("Conv", {"gap", "ws1"}, {"s1"});
  b.Node("Relu", {"s1"}, {"s1r"});
  b.Node("Conv", {"s1r", "ws2"}, {"s2"});
  b.Node("HardSigmoid", {"s2"}, {"s2h"});
  b.Node("Mul", {"silu", "s2h"}, {"se"});
  b.Node("Conv", {"x", "wb"}, {"br"},
         {IntsAttr("strides", {2, 2}), IntsAttr("pads", {2, 2, 2, 2})});
  b.Node("Concat", {"se", "br"}, {"cat"}, {IntAttr("axis", 1)});
  b.Node("AveragePool", {"cat"}, {"ap"},
         {IntsAttr("kernel_shape", {2, 2}), IntsAttr("pads", {1, 0, 0, 1}),
          IntAttr("count_include_pad", 1)});
  b.Node("Conv", {"ap", "wr"}, {"rc"});
  b.Node("Add", {"rc", "ap"}, {"res"});
  b.Node("Add", {"res", "cc"}, {"biased"});
  b.Node("Mul", {"biased", "half"}, {"scaled"});
  b.Node("Flatten", {"scaled"}, {"flat"});
  if (opset >= 18) {
    b.Init("axes23", I({2, 3}));
    b.Node("ReduceMean", {"scaled", "axes23"}, {"pooled"});
  } else {
    b.Node("ReduceMean", {"scaled"}, {"pooled"}, {IntsAttr("axes", {2, 3})});
  }
  b.Output("flat").Output("pooled").Output("r1");
  return b.Build();
}

TEST(LayoutPropagation, ConvertsACnnAndKeepsItsOutputs) {
  for (int opset : {13, 17, 18}) {
    for (bool rm : {false, true}) {
      SCOPED_TRACE("opset " + std::to_string(opset) + (rm ? " ReduceMean" : " GlobalAveragePool"));
      Model m = LayoutCnn(opset, rm);
      PassReport r = RunOnly(m, "layout-propagation");
      EXPECT_GT(Rewrites(r, "layout-propagation"), 20);
      int channels_last = 0;
      for (const auto& n : m.graph->nodes()) {
        const Attribute* cl = n.FindAttribute("channels_last");
        if (n.op_type == "FusedConv" && cl != nullptr && cl->i == 1) ++channels_last;
      }
      EXPECT_EQ(channels_last, 6);
      EXPECT_EQ(CountOp(m, "Conv"), 0);
      EXPECT_EQ(CountOp(m, "MaxPool"), 0);
      EXPECT_EQ(CountOp(m, "NhwcMaxPool"), 1);
      EXPECT_EQ(CountOp(m, "NhwcAveragePool"), 1);
      EXPECT_EQ(CountOp(m, "BatchNormalization"), 0);
      EXPECT_EQ(CountOp(m, "GlobalAveragePool"), 0);
      // In: x once (read by two convolutions). Out: r1 (a graph output), Flatten's input and
      // the pooled output.
      EXPECT_EQ(CountOp(m, "Transpose"), 4);
      std::vector<std::string> outs;
      for (int v : m.graph->outputs()) outs.push_back(m.graph->value(v).name);
      EXPECT_EQ(outs, (std::vector<std::string>{"flat", "pooled", "r1"}));
      ExpectSameOutputs(LayoutCnn(opset, rm), std::move(m), 1e-5);
    }
  }
}

TEST(LayoutPropagation, LeavesWhatItCannotConvert) {
  // A fed W, a 1-D convolution, a 3-D pooling and a Mul by a [W]-shaped constant stay as they are.
  ModelBuilder b(17);
  b.Input("x", {1, 2, 6, 6}).Input("w", {4, 2, 3, 3}).Input("x1", {1, 2, 9});
  b.RandomInit("w1", {4, 2, 3}).RandomInit("row", {4});
  b.Node("Conv", {"x", "w"}, {"a"});
  b.Node("Conv", {"x1", "w1"}, {"b"});
  b.Node("Mul", {"a", "row"}, {"c"});
  b.Output("c").Output("b");
  Model m = b.Build();
  PassReport r = RunOnly(m, "layout-propagation");
  EXPECT_EQ(Rewrites(r, "layout-propagation"), 0);
  EXPECT_EQ(CountOp(m, "Conv"), 2);
  EXPECT_EQ(CountOp(m, "Transpose"), 0);
  // Off where the session is not on the CPU alone (kiln optimize, device sessions).
  Model m2 = LayoutCnn(17, false);
  PassOptions po = PassOptionsFor(SessionOptions{});
  po.cpu_layouts = false;
  ASSERT_TRUE(RunPasses(m2, po).ok());
  EXPECT_EQ(CountOp(m2, "NhwcMaxPool"), 0);
  EXPECT_EQ(CountOp(m2, "Transpose"), 0);
}

}  // namespace
}  // namespace kiln::test
