#include "runtime/profiler.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "runtime/session.h"

namespace kiln {
namespace {

// x: float[2,3] -> Add(x, w) with the initializer w: float[3] -> "relu" (Relu) -> y
Model AddReluModel() {
  Model m;
  m.ir_version = 8;
  m.opset_imports[""] = 17;
  m.graph = std::make_unique<Graph>();
  Graph& g = *m.graph;
  g.name = "add_relu";
  Shape s;
  s.dims = {Dim::Known(2), Dim::Known(3)};
  int x = *g.AddValue("x", TypeInfo::Tensor(DataType::kFloat, s));
  int w = *g.AddValue("w", TypeInfo::Tensor(DataType::kFloat));
  int t = *g.AddValue("t", TypeInfo::Tensor(DataType::kFloat));
  int y = *g.AddValue("y", TypeInfo::Tensor(DataType::kFloat));
  g.AddInput(x);
  g.SetInitializer(w, Tensor::FromVector<float>({1, -2, 3}, {3}));
  Node add;
  add.op_type = "Add";  // unnamed: its events are named after its op and step
  add.opset = 17;
  add.inputs = {x, w};
  add.outputs = {t};
  EXPECT_TRUE(g.AddNode(add).ok());
  Node relu;
  relu.name = "relu";
  relu.op_type = "Relu";
  relu.opset = 17;
  relu.inputs = {t};
  relu.outputs = {y};
  EXPECT_TRUE(g.AddNode(relu).ok());
  g.AddOutput(y);
  return m;
}

std::vector<NamedValue> Feeds() {
  return {{"x", AnyValue(Tensor::FromVector<float>({-1, 2, -3, 4, -5, 6}, {2, 3}))}};
}

int Count(const std::vector<ProfileEvent>& events, ProfileEvent::Kind kind,
          const std::string& name) {
  int n = 0;
  for (const auto& e : events) n += e.kind == kind && e.name == name;
  return n;
}

TEST(ProfilerTest, RecordsInitializationRunsAndNodes) {
  SessionOptions so;
  so.optimization_level = 0;  // keep Add and Relu apart
  so.enable_profiling = true;
  auto s = Session::Create(AddReluModel(), so);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE((*s)->profiling());
  EXPECT_GT((*s)->profiling_start_ns(), 0);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE((*s)->Run(Feeds()).ok());
  std::vector<ProfileEvent> events = (*s)->EndProfiling();
  EXPECT_FALSE((*s)->profiling());

  using K = ProfileEvent::Kind;
  EXPECT_EQ(Count(events, K::kSession, "session_initialization"), 1);
  EXPECT_EQ(Count(events, K::kSession, "model_run"), 2);
  EXPECT_EQ(Count(events, K::kNode, "relu"), 2);
  EXPECT_EQ(Count(events, K::kNode, "Add_0"), 2);
  for (const auto& e : events) {
    EXPECT_GE(e.duration_ns, 0);
    EXPECT_GE(e.start_ns, 0);
    EXPECT_GT(e.thread_id, 0);
    if (e.kind != K::kNode) continue;
    EXPECT_EQ(e.graph, "add_relu");
    EXPECT_EQ(e.device, "cpu");
    EXPECT_TRUE(e.run == 0 || e.run == 1) << e.run;
    ASSERT_EQ(e.output_shapes.size(), 1u);
    EXPECT_EQ(e.output_shapes[0].first, "float");
    EXPECT_EQ(e.output_shapes[0].second, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(e.output_bytes, 24);
    if (e.op == "Add") {
      EXPECT_EQ(e.node_index, 0);
      ASSERT_EQ(e.input_shapes.size(), 2u);
      EXPECT_EQ(e.input_shapes[1].second, (std::vector<int64_t>{3}));
      EXPECT_EQ(e.activation_bytes, 24);
      EXPECT_EQ(e.parameter_bytes, 12);
    } else {
      EXPECT_EQ(e.op, "Relu");
      EXPECT_EQ(e.node_index, 1);
      EXPECT_EQ(e.activation_bytes, 24);
      EXPECT_EQ(e.parameter_bytes, 0);
    }
  }
  // Each node event lies inside its run's model_run.
  for (const auto& run : events) {
    if (run.kind != K::kSession || run.name != "model_run") continue;
    for (const auto& e : events) {
      if (e.kind != K::kNode || e.run != run.run) continue;
      EXPECT_GE(e.start_ns, run.start_ns);
      EXPECT_LE(e.start_ns + e.duration_ns, run.start_ns + run.duration_ns);
    }
  }

  // Ended: runs record nothing, and a second end returns nothing.
  ASSERT_TRUE((*s)->Run(Feeds()).ok());
  EXPECT_TRUE((*s)->EndProfiling().empty());

  // A new period starts its runs at 0 and holds no load events.
  (*s)->StartProfiling();
  ASSERT_TRUE((*s)->Run(Feeds()).ok());
  events = (*s)->EndProfiling();
  EXPECT_EQ(Count(events, K::kSession, "session_initialization"), 0);
  EXPECT_EQ(Count(events, K::kSession, "model_run"), 1);
  EXPECT_EQ(Count(events, K::kNode, "relu"), 1);
  for (const auto& e : events) EXPECT_EQ(e.run, 0);
}

TEST(ProfilerTest, OffByDefault) {
  auto s = Session::Create(AddReluModel());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_FALSE((*s)->profiling());
  ASSERT_TRUE((*s)->Run(Feeds()).ok());
  EXPECT_TRUE((*s)->EndProfiling().empty());
}

TEST(ProfilerTest, ChromeTraceAndSummary) {
  SessionOptions so;
  so.optimization_level = 0;
  so.enable_profiling = true;
  auto s = Session::Create(AddReluModel(), so);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*s)->Run(Feeds()).ok());
  std::vector<ProfileEvent> events = (*s)->EndProfiling();
  const std::string trace = ChromeTrace(events);
  EXPECT_EQ(trace.front(), '[');
  EXPECT_NE(trace.find("\"name\" :\"relu_kernel_time\""), std::string::npos) << trace;
  EXPECT_NE(trace.find("\"op_name\" : \"Relu\",\"provider\" : \"CPUExecutionProvider\""),
            std::string::npos);
  EXPECT_NE(trace.find("\"input_type_shape\" : [{\"float\":[2,3]},{\"float\":[3]}]"),
            std::string::npos);
  EXPECT_NE(trace.find("\"cat\" : \"Session\""), std::string::npos);
  EXPECT_NE(trace.find("\"name\" :\"model_run\""), std::string::npos);

  const std::string all = ProfileSummary(events);
  EXPECT_NE(all.find("over 3 runs"), std::string::npos) << all;
  EXPECT_NE(all.find("Relu"), std::string::npos);
  EXPECT_NE(all.find("Add"), std::string::npos);
  // From the second run on: the first (recording the memory plan) is left out.
  EXPECT_NE(ProfileSummary(events, 1).find("over 2 runs"), std::string::npos);
}

TEST(ProfilerTest, NamesAreEscaped) {
  ProfileEvent e;
  e.name = "a\"b\\c\n";
  e.op = "Relu";
  const std::string trace = ChromeTrace({e});
  EXPECT_NE(trace.find("\"a\\\"b\\\\c\\n_kernel_time\""), std::string::npos) << trace;
}

// Runs on several threads while periods start and end: every run of a period is counted once.
TEST(ProfilerTest, ConcurrentRunsAndPeriods) {
  SessionOptions so;
  so.enable_profiling = true;
  auto s = Session::Create(AddReluModel(), so);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Session& session = **s;
  constexpr int kThreads = 4, kRuns = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&session] {
      for (int i = 0; i < kRuns; ++i) EXPECT_TRUE(session.Run(Feeds()).ok());
    });
  }
  int runs = 0;
  for (int i = 0; i < 5; ++i) {
    for (const auto& e : session.EndProfiling()) {
      runs += e.kind == ProfileEvent::Kind::kSession && e.name == "model_run";
    }
    session.StartProfiling();
  }
  for (auto& t : threads) t.join();
  std::set<int> indices;
  for (const auto& e : session.EndProfiling()) {
    if (e.kind != ProfileEvent::Kind::kSession || e.name != "model_run") continue;
    ++runs;
    EXPECT_TRUE(indices.insert(e.run).second) << "run index " << e.run << " twice";
  }
  EXPECT_LE(runs, kThreads * kRuns);
}

}  // namespace
}  // namespace kiln
