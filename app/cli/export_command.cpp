// `distillery-cli export`: a run's student as an ONNX file (fp32 or QDQ int8) with its model card, and on
// request the check of that file in onnxruntime and OpenCV DNN against the engine.

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "app/cli/arguments.h"
#include "app/cli/commands.h"
#include "core/quantize.h"
#include "verify/runtime_check.h"

namespace distillery::cli {

namespace {

constexpr int kExitTargetMissed = 1;

std::string sizeText(uintmax_t bytes) {
    char buf[64];
    if (bytes >= 1024 * 1024)
        std::snprintf(buf, sizeof buf, "%.2f MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
    else if (bytes >= 1024)
        std::snprintf(buf, sizeof buf, "%.1f KB", static_cast<double>(bytes) / 1024.0);
    else
        std::snprintf(buf, sizeof buf, "%ju bytes", bytes);
    return buf;
}

void printCheck(const ExportCheck& check) {
    std::printf("verified on %lld validation samples (%s):\n", static_cast<long long>(check.samples),
                check.metric.c_str());
    size_t width = 0;
    for (const auto& [name, value] : check.metrics)
        width = std::max(width, name.size());
    for (const auto& [name, value] : check.metrics) {
        std::printf("  %-*s  %s %.2f", static_cast<int>(width), name.c_str(), check.metric.c_str(), value);
        for (const auto& c : check.comparisons)
            if (c.runtime == name && c.reference == check.comparisons.front().reference) {
                std::printf("  (%s", c.version.c_str());
                std::printf(", max |diff| %.3g, agreement %.2f %%", c.maxAbsDiff, c.agreement);
                if (c.sameBoxes >= 0) std::printf(", same boxes on %.2f %% of images", c.sameBoxes);
                std::printf(" vs %s)", c.reference.c_str());
            }
        std::printf("\n");
    }
    for (const auto& c : check.comparisons)
        if (c.reference != check.comparisons.front().reference) {
            std::printf("  %s vs %s: max |diff| %.3g, agreement %.2f %%", c.runtime.c_str(),
                        c.reference.c_str(), c.maxAbsDiff, c.agreement);
            if (c.sameBoxes >= 0) std::printf(", same boxes on %.2f %% of images", c.sameBoxes);
            std::printf("\n");
        }
    for (const auto& note : check.notes)
        std::printf("  note: %s\n", note.c_str());
    if (check.passed()) {
        std::printf("targets met\n");
    } else {
        for (const auto& failure : check.failures)
            std::printf("target missed: %s\n", failure.c_str());
    }
}

}  // namespace

std::string exportUsage() {
    return "usage: distillery-cli export RUN_DIR --format onnx|onnx-int8 --out FILE [--verify] [--subset N]\n"
           "                             [--threads N]\n"
           "\n"
           "Writes the run's student (best checkpoint, BatchNorm folded) as an ONNX file, opset 13: 'onnx' "
           "in\n"
           "fp32, 'onnx-int8' with QuantizeLinear/DequantizeLinear pairs (a quantized run only). Beside it,\n"
           "FILE with the extension .card.json: input, preprocessing, classes, per-layer bits, size and "
           "accuracy.\n"
           "  --verify      run the validation split through the file in onnxruntime (and OpenCV DNN for "
           "fp32)\n"
           "                and compare with the engine; exit status 1 when a target is missed (fp32: max\n"
           "                |logit difference| <= 1e-3; int8: >= 99 % agreement with the engine's int8 model "
           "and\n"
           "                its metric within 0.5 points)\n"
           "  --subset N    verify on the first N validation samples (0 = all)\n"
           "  --threads N   CPU threads (0 = all cores)\n";
}

int runExport(const std::vector<std::string>& args) {
    Arguments a("export", args, {"--verify"}, {"--format", "--out", "--subset", "--threads"});
    const std::string dir = a.positionals({"RUN_DIR"})[0];
    if (!a.has("--format")) throw a.error("--format is required (onnx or onnx-int8)");
    const std::string format = a.choice("--format", "onnx", {"onnx", "onnx-int8"});
    const std::string out = a.required("--out", "FILE");
    const int subset = static_cast<int>(a.integer("--subset", 0, 0, INT_MAX));
    const int threads = static_cast<int>(a.integer("--threads", 0, 0, INT_MAX));

    const std::string card = exportOnnx(dir, format, out);
    std::error_code ec;
    const uintmax_t bytes = std::filesystem::file_size(out, ec);
    std::printf("wrote %s (%s, %s)\n", out.c_str(), format.c_str(), ec ? "?" : sizeText(bytes).c_str());
    std::printf("wrote %s\n", card.c_str());
    std::fflush(stdout);
    if (!a.has("--verify")) return 0;

    const ExportCheck check = verifyExport(dir, out, subset, threads);
    addVerificationToCard(card, check);
    printCheck(check);
    return check.passed() ? 0 : kExitTargetMissed;
}

}  // namespace distillery::cli
