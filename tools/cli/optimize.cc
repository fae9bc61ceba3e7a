// kiln optimize: runs the optimizer and writes the optimized model as portable ONNX.
#include <cstdlib>
#include <string>
#include <vector>

#include "ir/onnx_io.h"
#include "tools/cli/cli.h"

namespace kiln::cli {
namespace {

const char* kOptimizeUsage =
    "usage: kiln optimize IN.onnx OUT.onnx [--level N] [--disable NAME]... [--kiln-ops]\n"
    "                     [--external-data BYTES]\n"
    "\n"
    "Runs the optimizer and writes a valid ONNX model (standard ops only unless --kiln-ops), with\n"
    "initializers of at least BYTES (default 1024; -1: none) in OUT.onnx.data. Prints what each\n"
    "pass changed.\n"
    "  --kiln-ops             also apply fusions into kiln's own ops (docs/kiln_ops.md); the\n"
    "                         result then runs on kiln only\n" KILN_PASS_OPTIONS_HELP;

}  // namespace

int Optimize(const std::vector<std::string>& args) {
  if (args.size() < 2 || IsHelp(args[0])) {
    PrintUsageWithPasses(kOptimizeUsage);
    return args.empty() || !IsHelp(args[0]) ? 2 : 0;
  }
  SessionOptions so;
  bool kiln_ops = false;
  int64_t threshold = 1024;
  ArgReader r("kiln optimize", args, 2);
  while (r.Next()) {
    if (ReadPassOption(r, &so.optimization_level, &so.disabled_passes)) continue;
    if (r.arg() == "--kiln-ops") {
      kiln_ops = true;
    } else if (r.arg() == "--external-data") {
      const std::string v = r.Value();
      if (!r.failed()) threshold = std::atoll(v.c_str());
    } else {
      r.Unknown(kOptimizeUsage);
    }
  }
  if (r.failed()) return 2;
  PassOptions po = PassOptionsFor(so);
  po.allow_kiln_ops = kiln_ops;
  po.cpu_layouts = false;  // the written model stays device-neutral: no channels-last rewrite
  ImportOptions io;
  io.has_kernel = po.has_kernel;
  auto model = LoadModel(args[0], io);
  if (!model.ok()) return Fail(model.status());
  auto report = RunPasses(*model, po);
  if (!report.ok()) return Fail(report.status());
  PrintPassReport(*report);
  Status s = SaveModel(*model, args[1], threshold);
  if (!s.ok()) return Fail(s);
  std::printf("wrote %s\n", args[1].c_str());
  return 0;
}

}  // namespace kiln::cli
