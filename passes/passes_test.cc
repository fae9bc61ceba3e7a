// Unit tests of the pipeline, shape inference and the clean-up passes (level 1): expected structure
// after each pass, equal outputs before and after, and the cases where a pass must not fire. The
// fusion passes are in fusion_passes_test.cc.
#include <gtest/gtest.h>

#include "passes/pass_test_util.h"
#include "passes/shape_inference.h"

namespace kiln::test {
namespace {

// ---- pipeline and shape inference

TEST(Pipeline, UnknownPassNameIsAnError) {
  ModelBuilder b;
  b.Input("x", {2}).Node("Relu", {"x"}, {"y"}).Output("y");
  Model m = b.Build();
  PassOptions po;
  po.disabled = {"no-such-pass"};
  auto r = RunPasses(m, po);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unknown pass 'no-such-pass'"), std::string::npos);
  EXPECT_NE(r.status().message().find("conv-bn-fusion"), std::string::npos);
}

TEST(Pipeline, LevelZeroChangesNothing) {
  ModelBuilder b;
  b.Input("x", {2}).Node("Identity", {"x"}, {"i"}).Node("Relu", {"i"}, {"y"}).Output("y");
  Model m = b.Build();
  PassOptions po;
  po.level = 0;
  auto r = RunPasses(m, po);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->total(), 0);
  EXPECT_EQ(m.graph->nodes().size(), 2u);
}

TEST(ShapeInference, SymbolicDimsPropagateThroughBroadcastAndMatMul) {
  ModelBuilder b;
  b.Input("x", {-1, 3, 4}).RandomInit("w", {4, 5}).RandomInit("bias", {5});
  b.Node("MatMul", {"x", "w"}, {"m"}).Node("Add", {"m", "bias"}, {"y"}).Output("y");
  Model m = b.Build();
  ShapeInference si;
  ASSERT_TRUE(si.Run(m).ok());
  const Graph& g = *m.graph;
  EXPECT_EQ(g.value(g.FindValue("m")).type.ToString(), "float[N,3,5]");
  EXPECT_EQ(g.value(g.FindValue("y")).type.ToString(), "float[N,3,5]");
  EXPECT_TRUE(si.untyped().empty());
}

TEST(ShapeInference, ReasonRecordedWhenUnknown) {
  ModelBuilder b;
  b.Input("x", {2, 3}).Input("shape", {2}, DataType::kInt64);
  b.Node("Reshape", {"x", "shape"}, {"y"}).Output("y");
  Model m = b.Build();
  ShapeInference si;
  ASSERT_TRUE(si.Run(m).ok());
  const TypeInfo& t = m.graph->value(m.graph->FindValue("y")).type;
  EXPECT_EQ(t.elem_type, DataType::kFloat);
  // The rank is known (2) but the dims come from a run-time input.
  ASSERT_TRUE(t.shape.has_value());
  EXPECT_EQ(t.shape->dims.size(), 2u);
}

TEST(ShapeInference, MergeKeepsDeclaredSymbols) {
  TypeInfo declared = TypeInfo::Tensor(DataType::kFloat, Shape{{Dim::Symbol("batch"), Dim{}}});
  TypeInfo inferred =
      TypeInfo::Tensor(DataType::kFloat, Shape{{Dim::Symbol("unk__0"), Dim::Known(4)}});
  EXPECT_EQ(MergeTypes(declared, inferred).ToString(), "float[batch,4]");
}

// ---- constant-folding

Model FoldModel() {
  ModelBuilder b;
  b.Input("x", {2, 2}).Init("a", F({1, 2, 3, 4}, {2, 2})).Init("c", F({10, 20, 30, 40}, {2, 2}));
  b.Node("Add", {"a", "c"}, {"ac"}).Node("Transpose", {"ac"}, {"t"});
  b.Node("Mul", {"x", "t"}, {"y"}).Output("y");
  return b.Build();
}

TEST(ConstantFolding, FoldsConstantChains) {
  Model m = FoldModel();
  auto r = RunOnly(m, "constant-folding");
  EXPECT_EQ(Rewrites(r, "constant-folding"), 2);
  EXPECT_EQ(m.graph->nodes().size(), 1u);
  EXPECT_EQ(m.graph->nodes()[0].op_type, "Mul");
  const Tensor* t = m.graph->initializer(m.graph->FindValue("t"));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->data<float>()[1], 33.0f);  // transpose of [[11,22],[33,44]]
  ExpectSameOutputs(FoldModel(), std::move(m));
}

TEST(ConstantFolding, NeverFoldsRandomOpsOrGraphOutputs) {
  ModelBuilder b;
  b.Input("x", {2}).Init("a", F({1, 2}, {2}));
  b.Node("RandomNormal", {}, {"r"}, {IntsAttr("shape", {2})});
  b.Node("Add", {"x", "r"}, {"y"}).Node("Neg", {"a"}, {"z"});
  b.Output("y").Output("z");
  Model m = b.Build();
  auto r = RunOnly(m, "constant-folding");
  EXPECT_EQ(Rewrites(r, "constant-folding"), 0);
  EXPECT_EQ(CountOp(m, "RandomNormal"), 1);
  EXPECT_EQ(CountOp(m, "Neg"), 1);  // its output is a graph output
}

TEST(ConstantFolding, BoundsOutputSize) {
  ModelBuilder b;
  b.Input("x", {-1}).Init("shape", I({64 << 20}));  // 256 MiB of float
  b.Node("ConstantOfShape", {"shape"}, {"big"}, {TensorAttr("value", F({1}, {1}))});
  b.Node("Shape", {"x"}, {"s"}).Node("Size", {"big"}, {"n"}).Output("n");
  Model m = b.Build();
  auto r = RunOnly(m, "constant-folding");
  EXPECT_EQ(CountOp(m, "ConstantOfShape"), 1);
}

TEST(ConstantFolding, ConstantNodesBecomeInitializers) {
  ModelBuilder b;
  b.Input("x", {2});
  b.Node("Constant", {}, {"c"}, {TensorAttr("value", F({1, 2}, {2}))});
  b.Node("Add", {"x", "c"}, {"y"}).Output("y");
  Model m = b.Build();
  RunOnly(m, "constant-folding");
  EXPECT_EQ(CountOp(m, "Constant"), 0);
  EXPECT_NE(m.graph->initializer(m.graph->FindValue("c")), nullptr);
}

// ---- shape-folding

Model ShapeChain() {
  ModelBuilder b;
  b.Input("x", {-1, 3, 4}).Init("one", I({1})).Init("zero", I({0})).Init("minus1", I({-1}));
  b.Node("Shape", {"x"}, {"s"});
  b.Node("Gather", {"s", "one"}, {"d1"}, {IntAttr("axis", 0)});   // static: 3
  b.Node("Gather", {"s", "zero"}, {"d0"}, {IntAttr("axis", 0)});  // symbolic: N
  b.Node("Concat", {"d0", "d1", "minus1"}, {"shape"}, {IntAttr("axis", 0)});
  b.Node("Reshape", {"x", "shape"}, {"y"}).Output("y");
  return b.Build();
}

TEST(ShapeFolding, FoldsStaticDimsKeepsSymbolicOnes) {
  Model m = ShapeChain();
  RunOnly(m, "shape-folding");
  const Graph& g = *m.graph;
  // d1 (= 3) became a constant; d0 (= N) still comes from Shape -> Gather.
  const Node* concat = nullptr;
  for (const auto& n : g.nodes()) {
    if (n.op_type == "Concat") concat = &n;
  }
  ASSERT_NE(concat, nullptr);
  const Tensor* c = g.initializer(concat->inputs[1]);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->data<int64_t>()[0], 3);
  EXPECT_EQ(g.initializer(concat->inputs[0]), nullptr);
  ExpectSameOutputs(ShapeChain(), std::move(m));
}

TEST(ShapeFolding, FullyStaticChainFoldsAway) {
  auto build = [] {
    ModelBuilder b;
    b.Input("x", {2, 3, 4}).Init("zero", I({0})).Init("minus1", I({-1}));
    b.Node("Shape", {"x"}, {"s"});
    b.Node("Gather", {"s", "zero"}, {"d0"}, {IntAttr("axis", 0)});
    b.Node("Concat", {"d0", "minus1"}, {"shape"}, {IntAttr("axis", 0)});
    b.Node("Reshape", {"x", "shape"}, {"y"}).Output("y");
    return b.Build();
  };
  Model m = build();
  PassOptions po = PassOptionsFor(SessionOptions{});
  po.level = 1;
  ASSERT_TRUE(RunPasses(m, po).ok());
  EXPECT_EQ(m.graph->nodes().size(), 1u);
  EXPECT_EQ(m.graph->nodes()[0].op_type, "Reshape");
  ExpectSameOutputs(build(), std::move(m));
}

// ---- identity-elimination

Model IdentityChain() {
  ModelBuilder b(13);
  b.Input("x", {2, 3}).Init("shape", I({2, 3}));
  b.Node("Identity", {"x"}, {"i1"}).Node("Dropout", {"i1"}, {"d"});
  b.Node("Relu", {"d"}, {"r"}).Node("Cast", {"r"}, {"c"}, {IntAttr("to", 1)});
  b.Node("Reshape", {"c", "shape"}, {"rs"})
      .Node("Transpose", {"rs"}, {"t"}, {IntsAttr("perm", {0, 1})});
  b.Node("Identity", {"t"}, {"y"}).Output("y");
  return b.Build();
}

TEST(IdentityElimination, RemovesNoOpChain) {
  Model m = IdentityChain();
  RunOnly(m, "identity-elimination");
  ASSERT_EQ(m.graph->nodes().size(), 1u);
  EXPECT_EQ(m.graph->nodes()[0].op_type, "Relu");
  // The graph output keeps its name.
  EXPECT_EQ(m.graph->value(m.graph->outputs()[0]).name, "y");
  ExpectSameOutputs(IdentityChain(), std::move(m));
}

TEST(IdentityElimination, KeepsDropoutWhoseMaskIsReadAndTrainingDropout) {
  ModelBuilder b(13);
  b.Input("x", {2, 3}).Init("ratio", F({0.5f}, {})).Init("train", True());
  b.Node("Dropout", {"x"}, {"d", "mask"}).Node("Not", {"mask"}, {"nm"});
  b.Node("Dropout", {"d", "ratio", "train"}, {"d2"});
  b.Output("d2").Output("nm");
  Model m = b.Build();
  auto r = RunOnly(m, "identity-elimination");
  EXPECT_EQ(Rewrites(r, "identity-elimination"), 0);
  EXPECT_EQ(CountOp(m, "Dropout"), 2);
}

TEST(IdentityElimination, InputToOutputBecomesIdentity) {
  ModelBuilder b(13);
  b.Input("x", {2}).Node("Dropout", {"x"}, {"y"}).Output("y");
  Model m = b.Build();
  RunOnly(m, "identity-elimination");
  ASSERT_EQ(m.graph->nodes().size(), 1u);
  EXPECT_EQ(m.graph->nodes()[0].op_type, "Identity");
}

Model SliceAndPad() {
  ModelBuilder b(13);
  b.Input("x", {4}).Init("s0", I({0})).Init("e", I({4})).Init("e2", I({3}));
  b.Init("pads0", I({0, 0})).Init("pads1", I({1, -1}));
  b.Node("Slice", {"x", "s0", "e"}, {"a"});
  b.Node("Slice", {"a", "s0", "e2"}, {"b"});
  b.Node("Pad", {"b", "pads0"}, {"c"});
  b.Node("Pad", {"c", "pads1"}, {"y"}).Output("y");
  return b.Build();
}

TEST(IdentityElimination, SliceAndPadOnlyWhenTheyAreNoOps) {
  Model m = SliceAndPad();
  RunOnly(m, "identity-elimination");
  EXPECT_EQ(CountOp(m, "Slice"), 1);  // the one that drops an element stays
  EXPECT_EQ(CountOp(m, "Pad"), 1);    // shifting by (1, -1) keeps the shape but is no no-op
  ExpectSameOutputs(SliceAndPad(), std::move(m));
}

// ---- dead-code-elimination

Model DeadCode() {
  ModelBuilder b;
  b.Input("x", {2}).Input("unused", {2}).Init("w", F({1, 2}, {2}));
  b.Node("Relu", {"x"}, {"y"}).Node("Neg", {"x"}, {"dead"}).Node("Add", {"dead", "w"}, {"dead2"});
  b.Output("y");
  return b.Build();
}

TEST(DeadCodeElimination, RemovesUnusedNodesAndInitializersReportsInputs) {
  Model m = DeadCode();
  PassReport r = RunOnly(m, "dead-code-elimination");
  EXPECT_EQ(m.graph->nodes().size(), 1u);
  EXPECT_EQ(m.graph->initializers().size(), 0u);
  EXPECT_EQ(m.graph->inputs().size(), 2u);  // inputs are the interface: reported, kept
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("'unused'"), std::string::npos);
  ExpectSameOutputs(DeadCode(), std::move(m));
}

TEST(DeadCodeElimination, KeepsValuesSubgraphsRead) {
  ModelBuilder b;
  b.Input("x", {2}).Input("cond", {}, DataType::kBool);
  b.Node("Neg", {"x"}, {"captured"});
  auto branch = [](const std::string& name, bool reads) {
    auto g = std::make_shared<Graph>();
    g->name = name;
    int v = g->AddValue(reads ? "captured" : "x").value();
    g->mutable_value(v).outer_scope = true;
    int o = g->AddValue(name + "_out").value();
    Node n;
    n.op_type = "Relu";
    n.opset = 17;
    n.inputs = {v};
    n.outputs = {o};
    EXPECT_TRUE(g->AddNode(n).ok());
    g->AddOutput(o);
    Attribute a;
    a.name = name;
    a.type = AttrType::kGraph;
    a.g = g;
    return a;
  };
  b.Node("If", {"cond"}, {"y"}, {branch("then_branch", true), branch("else_branch", false)});
  b.Output("y");
  Model m = b.Build();
  RunOnly(m, "dead-code-elimination");
  EXPECT_EQ(CountOp(m, "Neg"), 1);
}

TEST(Pipeline, PassesRewriteSubgraphsToo) {
  auto build = [] {
    ModelBuilder b;
    b.Input("x", {2}).Input("cond", {}, DataType::kBool);
    auto branch = [](const std::string& name, bool identity) {
      auto g = std::make_shared<Graph>();
      g->name = name;
      int x = g->AddValue("x").value();
      g->mutable_value(x).outer_scope = true;
      int c1 = g->AddValue(name + "_c1").value();
      g->SetInitializer(c1, Tensor::FromVector<float>({1, 2}, {2}));
      int c2 = g->AddValue(name + "_c2").value();
      g->SetInitializer(c2, Tensor::FromVector<float>({3, 4}, {2}));
      int sum = g->AddValue(name + "_sum").value();
      int mid = g->AddValue(name + "_mid").value();
      int out = g->AddValue(name + "_out").value();
      auto add = [&](const std::string& op, std::vector<int> in, int o) {
        Node n;
        n.op_type = op;
        n.opset = 17;
        n.inputs = std::move(in);
        n.outputs = {o};
        EXPECT_TRUE(g->AddNode(n).ok());
      };
      add("Add", {c1, c2}, sum);  // constant inside the body
      add(identity ? "Identity" : "Neg", {x}, mid);
      add("Mul", {mid, sum}, out);
      g->AddOutput(out);
      Attribute a;
      a.name = name;
      a.type = AttrType::kGraph;
      a.g = g;
      return a;
    };
    b.Node("If", {"cond"}, {"y"}, {branch("then_branch", true), branch("else_branch", false)});
    b.Output("y");
    return b.Build();
  };
  Model m = build();
  PassOptions po = PassOptionsFor(SessionOptions{});
  po.level = 1;
  auto r = RunPasses(m, po);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Graph& then_g = *m.graph->nodes()[0].FindAttribute("then_branch")->g;
  EXPECT_EQ(then_g.nodes().size(), 1u);  // Identity gone, Add folded; Mul stays
  EXPECT_EQ(then_g.nodes()[0].op_type, "Mul");
  const Graph& else_g = *m.graph->nodes()[0].FindAttribute("else_branch")->g;
  EXPECT_EQ(else_g.nodes().size(), 2u);  // Neg and Mul
  // Outer-scope x is typed inside the branch.
  EXPECT_EQ(else_g.value(else_g.FindValue("x")).type.ToString(), "float[2]");
  for (bool cond : {true, false}) {
    SessionOptions so;
    so.optimization_level = 0;
    auto a = Session::Create(build(), so);
    Model copy = build();
    ASSERT_TRUE(RunPasses(copy, po).ok());
    auto b = Session::Create(std::move(copy), so);
    ASSERT_TRUE(a.ok() && b.ok());
    Tensor c = Tensor::Create(DataType::kBool, {}).value();
    c.data<bool>()[0] = cond;
    std::vector<NamedValue> feeds = {{"x", AnyValue(Tensor::FromVector<float>({5, 6}, {2}))},
                                     {"cond", AnyValue(c)}};
    auto ra = (*a)->Run(feeds);
    auto rb = (*b)->Run(feeds);
    ASSERT_TRUE(ra.ok() && rb.ok());
    const Tensor& ya = (*ra)[0].value.tensor;
    const Tensor& yb = (*rb)[0].value.tensor;
    EXPECT_EQ(ya.data<float>()[0], yb.data<float>()[0]);
    EXPECT_EQ(ya.data<float>()[1], yb.data<float>()[1]);
  }
}

// ---- common-subexpression-elimination

TEST(CommonSubexpressionElimination, MergedGraphComputesTheSame) {
  auto build = [] {
    ModelBuilder b;
    b.Input("x", {2, 3}).Init("c1", F({2}, {})).Init("c2", F({2}, {}));
    b.Node("Mul", {"x", "c1"}, {"a"}).Node("Mul", {"x", "c2"}, {"b"});  // equal constants
    b.Node("Shape", {"a"}, {"sa"}).Node("Shape", {"b"}, {"sb"});        // equal shapes
    b.Node("Reshape", {"a", "sb"}, {"ra"}).Node("Reshape", {"b", "sa"}, {"rb"});
    b.Node("Sub", {"ra", "rb"}, {"y"}).Output("y");
    return b.Build();
  };
  Model m = build();
  RunOnly(m, "common-subexpression-elimination");
  EXPECT_EQ(CountOp(m, "Mul"), 1);
  EXPECT_EQ(CountOp(m, "Shape"), 1);
  EXPECT_EQ(CountOp(m, "Reshape"), 1);
  ExpectSameOutputs(build(), std::move(m));
}

TEST(CommonSubexpressionElimination, MergesEqualNodesOnly) {
  auto build = [] {
    ModelBuilder b;
    b.Input("x", {2, 3});
    b.Node("Relu", {"x"}, {"a"}).Node("Relu", {"x"}, {"b"});
    b.Node("Softmax", {"x"}, {"s1"}, {IntAttr("axis", 0)})
        .Node("Softmax", {"x"}, {"s2"}, {IntAttr("axis", 1)});
    b.Node("RandomNormalLike", {"x"}, {"r1"}).Node("RandomNormalLike", {"x"}, {"r2"});
    b.Node("Add", {"a", "b"}, {"ab"}).Node("Add", {"s1", "s2"}, {"ss"});
    b.Node("Add", {"r1", "r2"}, {"rr"});
    b.Output("ab").Output("ss").Output("rr");
    return b.Build();
  };
  Model m = build();
  auto r = RunOnly(m, "common-subexpression-elimination");
  EXPECT_EQ(Rewrites(r, "common-subexpression-elimination"), 1);
  EXPECT_EQ(CountOp(m, "Relu"), 1);
  EXPECT_EQ(CountOp(m, "Softmax"), 2);
  EXPECT_EQ(CountOp(m, "RandomNormalLike"), 2);
}

}  // namespace
}  // namespace kiln::test
