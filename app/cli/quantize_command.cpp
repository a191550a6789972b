// distillery-cli quantize: PTQ, QAT and mixed precision of a trained student.

#include <climits>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "app/cli/arguments.h"
#include "app/cli/commands.h"
#include "app/cli/progress.h"
#include "core/engine.h"
#include "core/quantize.h"

namespace distillery::cli {

namespace {

std::string fmt(double v, int digits = 2) {
    if (v < 0) return "-";
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

std::string kb(double bytes) {
    return fmt(bytes / 1024.0, 1) + " KiB";
}

std::string bopsText(double bops) {
    if (bops >= 1e9) return fmt(bops / 1e9, 2) + " G";
    return fmt(bops / 1e6, 1) + " M";
}

std::map<std::string, int> parseLayerBits(const Arguments& a) {
    std::map<std::string, int> out;
    for (const auto& value : a.values("--layer-bits")) {
        size_t start = 0;
        while (start <= value.size()) {
            const size_t comma = value.find(',', start);
            const std::string item =
                value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            if (!item.empty()) {
                const auto eq = item.find('=');
                if (eq == std::string::npos || eq == 0)
                    throw a.error("--layer-bits expects NAME=BITS[,NAME=BITS...], got '" + item + "'");
                const int64_t bits =
                    parseInteger(item.substr(eq + 1), "--layer-bits " + item.substr(0, eq), 0, 8);
                if (bits != 0 && bits != 2 && bits != 4 && bits != 6 && bits != 8)
                    throw a.error("--layer-bits " + item + ": expected 8, 6, 4, 2 or 0 (float)");
                out[item.substr(0, eq)] = static_cast<int>(bits);
            }
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
    }
    return out;
}

void printLayers(const std::vector<QuantLayer>& layers) {
    bool sens = false;
    size_t width = 5;
    for (const auto& l : layers) {
        sens = sens || !l.sensitivity.empty();
        width = std::max(width, l.name.size());
    }
    std::printf("%-*s  %-6s  %9s  %11s  %4s  %4s", static_cast<int>(width), "layer", "op", "params", "MACs",
                "w", "a");
    if (sens) std::printf("  %9s  %9s  %9s", "sens@6", "sens@4", "sens@2");
    std::printf("\n");
    for (const auto& l : layers) {
        std::printf("%-*s  %-6s  %9lld  %11lld  %4s  %4d", static_cast<int>(width), l.name.c_str(),
                    l.op.c_str(), static_cast<long long>(l.params), static_cast<long long>(l.macs),
                    l.weightBits > 0 ? std::to_string(l.weightBits).c_str() : "fp32", l.activationBits);
        if (sens)
            for (int b : {6, 4, 2}) {
                auto it = l.sensitivity.find(b);
                std::printf("  %9s", it == l.sensitivity.end() ? "-" : fmt(it->second, 5).c_str());
            }
        std::printf("\n");
    }
}

void printResult(const QuantizeResult& r) {
    printLayers(r.layers);
    std::printf("\nmethod: %s (observer %s)\n", r.method.c_str(), r.observer.c_str());
    std::printf("%s: fp32 %s, simulated int8 %s, LibTorch int8 %s", r.metric.c_str(),
                fmt(r.fp32Metric).c_str(), fmt(r.simulatedMetric).c_str(), fmt(r.int8Metric).c_str());
    if (r.int8Agreement >= 0) std::printf(" (agrees with simulated on %s %%)", fmt(r.int8Agreement).c_str());
    std::printf("\nweights: %s vs %s fp32 (%.2fx smaller); BOPs %s vs %s fp32\n",
                kb(r.cost.sizeBytes).c_str(), kb(r.fp32Cost.sizeBytes).c_str(),
                r.cost.sizeBytes > 0 ? r.fp32Cost.sizeBytes / r.cost.sizeBytes : 0.0,
                bopsText(r.cost.bops).c_str(), bopsText(r.fp32Cost.bops).c_str());
    if (!r.vertical.empty()) {
        std::printf("\none model, every width (vertical-layered weights):\n%6s  %10s  %10s  %9s  %10s\n",
                    "bits", ("sim " + r.metric).c_str(), ("int8 " + r.metric).c_str(), "agree %", "weights");
        for (const auto& v : r.vertical)
            std::printf("%6d  %10s  %10s  %9s  %10s\n", v.bits, fmt(v.simulatedMetric).c_str(),
                        fmt(v.int8Metric).c_str(), fmt(v.int8Agreement).c_str(),
                        kb(v.cost.sizeBytes).c_str());
    }
    if (r.int8LatencyMs > 0)
        std::printf("latency per batch of 64: fp32 %s ms, int8 %s ms (%.2fx)\n", fmt(r.fp32LatencyMs).c_str(),
                    fmt(r.int8LatencyMs).c_str(), r.fp32LatencyMs / r.int8LatencyMs);
    std::printf("run folder: %s\n", r.outDir.c_str());
}

}  // namespace

int runQuantize(const std::vector<std::string>& args) {
    Arguments a("quantize", args, {"--lsq", "--no-int8", "--sensitivity", "--json"},
                {"--out", "--method", "--observer", "--percentile", "--calib-batches", "--bits",
                 "--layer-bits", "--budget", "--teacher", "--epochs", "--lr", "--subset", "--threads",
                 "--max-steps", "--vertical", "--seed"});
    const std::string dir = a.positionals({"DIR"})[0];
    const int threads = static_cast<int>(a.integer("--threads", 0, 0, INT_MAX));
    QuantSpec spec;
    spec.observer = a.choice("--observer", "minmax", quantObserverNames());
    spec.percentile = a.number("--percentile", 99.99);
    if (!(spec.percentile > 50.0 && spec.percentile <= 100.0))
        throw a.error("--percentile expects a percentage in (50, 100], got " + fmt(spec.percentile, 4));
    spec.calibrationBatches = static_cast<int>(a.integer("--calib-batches", 8, 1, 10000));
    spec.weightBits = static_cast<int>(a.integer("--bits", 8, 2, 8));
    if (spec.weightBits != 8 && spec.weightBits != 6 && spec.weightBits != 4 && spec.weightBits != 2)
        throw a.error("--bits expects 8, 6, 4 or 2, got " + std::to_string(spec.weightBits));
    spec.layerBits = parseLayerBits(a);
    spec.lsq = a.has("--lsq");
    if (auto b = a.value("--budget")) {
        parseBudget(*b);  // a clear error before any work
        spec.budget = *b;
    }
    if (auto v = a.value("--vertical")) {
        // Once-QAT: widths from the top down, e.g. 8,6,4,2.
        size_t start = 0;
        while (start <= v->size()) {
            const size_t comma = v->find(',', start);
            const std::string item =
                v->substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            const int bits = static_cast<int>(parseInteger(item, "--vertical", 2, 8));
            if (bits != 8 && bits != 6 && bits != 4 && bits != 2)
                throw a.error("--vertical " + *v + ": expected widths 8, 6, 4 or 2, got " + item);
            if (!spec.vertical.empty() && bits >= spec.vertical.back())
                throw a.error("--vertical " + *v + ": expected widths in decreasing order, e.g. 8,6,4,2");
            spec.vertical.push_back(bits);
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
        if (spec.vertical.size() < 2) throw a.error("--vertical expects at least two widths, e.g. 8,6,4,2");
        if (a.has("--bits") || !spec.layerBits.empty() || !spec.budget.empty())
            throw a.error(
                "--vertical holds every width in every layer: drop --bits, --layer-bits and --budget");
        spec.weightBits = spec.vertical.front();
    }
    if (!std::filesystem::exists(dir)) throw Error("run folder " + dir + " not found");

    if (a.has("--sensitivity")) {
        auto layers = measureSensitivity(dir, spec, threads, [](const std::string& m, double f) {
            std::fprintf(stderr, "\r%-60s %3d%%", m.c_str(), static_cast<int>(std::lround(100 * f)));
        });
        std::fprintf(stderr, "\n");
        if (a.has("--json")) {
            nlohmann::json j = nlohmann::json::array();
            for (const auto& l : layers) {
                nlohmann::json s = nlohmann::json::object();
                for (const auto& [bits, v] : l.sensitivity)
                    s[std::to_string(bits)] = v;
                j.push_back({{"name", l.name},
                             {"op", l.op},
                             {"params", l.params},
                             {"macs", l.macs},
                             {"sensitivity", s}});
            }
            std::printf("%s\n", j.dump(2).c_str());
        } else {
            printLayers(layers);
        }
        return 0;
    }

    const std::string out = a.required("--out", "OUT");
    const std::string method = a.choice("--method", "ptq", {"ptq", "qat"});
    if (method == "ptq") {
        if (!spec.vertical.empty())
            throw a.error("--vertical trains one model for every width: use --method qat");
        for (const char* qatOnly : {"--teacher", "--epochs", "--lr", "--max-steps", "--seed"})
            if (a.has(qatOnly)) throw a.error(std::string(qatOnly) + " applies to --method qat only");
        QuantizeOptions o;
        o.runDir = dir;
        o.outDir = out;
        o.spec = spec;
        o.threads = threads;
        o.subset = static_cast<int>(a.integer("--subset", 0, 0, INT_MAX));
        o.realInt8 = !a.has("--no-int8");
        auto result = quantizeRun(o, [](const std::string& m, double f) {
            std::fprintf(stderr, "\r%-70s %3d%%", m.c_str(), static_cast<int>(std::lround(100 * f)));
            std::fflush(stderr);
        });
        std::fprintf(stderr, "\n");
        printResult(result);
        return 0;
    }

    // QAT: a Job like any distillation, so progress, Ctrl-C and resume work as for `train`.
    const std::string teacher = a.choice("--teacher", "self", {"recipe", "self", "none"});
    const int epochs = static_cast<int>(a.integer("--epochs", 1, 1, 10000));
    const double lr = a.number("--lr", 0.0);
    if (a.has("--lr") && !(lr > 0)) throw a.error("--lr expects a positive number");
    Recipe recipe = qatRecipe(dir, spec, teacher, epochs, lr);
    if (a.has("--subset")) recipe.data.subset = static_cast<int>(a.integer("--subset", 0, 0, INT_MAX));
    if (a.has("--seed")) recipe.seed = static_cast<uint64_t>(a.integer("--seed", 0, 0, INT64_MAX));
    Job job(std::move(recipe), JobOptions{out, false, threads, a.integer("--max-steps", 0)});
    const int code = runJobWithProgress(job, false);
    if (code == 0 && isQuantizedRun(job.runDir())) {
        std::printf("\n");
        printResult(readQuantReport(job.runDir()));
    }
    return code;
}

int runExtract(const std::vector<std::string>& args) {
    Arguments a("extract", args, {}, {"--bits", "--out", "--threads"});
    const std::string source = a.positionals({"DIR"})[0];
    if (!a.has("--bits")) throw a.error("--bits is required (the width to take out, e.g. --bits 4)");
    const int bits = static_cast<int>(a.integer("--bits", 8, 2, 8));
    const std::string out = a.required("--out", "OUT");
    if (!std::filesystem::exists(source)) throw Error("run folder " + source + " not found");
    printResult(
        extractVerticalWidth(source, bits, out, static_cast<int>(a.integer("--threads", 0, 0, INT_MAX))));
    return 0;
}

}  // namespace distillery::cli
