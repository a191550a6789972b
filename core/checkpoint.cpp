#include "core/internal/checkpoint.h"

#include <filesystem>

namespace distillery {

namespace fs = std::filesystem;

nlohmann::json CheckpointMeta::toJson() const {
    nlohmann::json j = {{"format", 1},
                        {"arch", model.arch},
                        {"onnx", model.onnx},
                        {"checkpoint", model.checkpoint},
                        {"head", model.head},
                        {"width", model.width},
                        {"task", taskName(task)},
                        {"in_channels", inChannels},
                        {"num_classes", numClasses},
                        {"input_h", inputH},
                        {"input_w", inputW},
                        {"epoch", epoch},
                        {"batch_in_epoch", batchInEpoch},
                        {"step", step},
                        {"best_metric", bestMetric},
                        {"best_epoch", bestEpoch},
                        {"init_done", initDone},
                        {"class_names", classNames}};
    if (!precision.empty()) j["precision"] = precision;
    if (!teacherPrecision.empty()) j["teacher_precision"] = teacherPrecision;
    if (quantized) {
        j["quant"] = {{"lsq", lsq}, {"weight_bits", weightBits}};
        if (!vertical.empty()) j["quant"]["vertical"] = vertical;
    }
    return j;
}

CheckpointMeta CheckpointMeta::fromJson(const nlohmann::json& j, const std::string& path) {
    try {
        CheckpointMeta m;
        m.model.arch = j.at("arch").get<std::string>();
        m.model.head = j.value("head", std::string());
        m.model.onnx = j.value("onnx", std::string());
        m.model.checkpoint = j.value("checkpoint", std::string());
        m.model.width = j.value("width", 1.0);
        const auto task = j.at("task").get<std::string>();
        if (!parseTask(task, m.task))
            throw Error(path + ": unknown task '" + printable(task) +
                        "' (allowed: classification, segmentation, detection)");
        m.inChannels = j.at("in_channels").get<int64_t>();
        m.numClasses = j.at("num_classes").get<int64_t>();
        m.inputH = j.value("input_h", int64_t{0});
        m.inputW = j.value("input_w", int64_t{0});
        m.epoch = j.value("epoch", 0);
        m.batchInEpoch = j.value("batch_in_epoch", int64_t{0});
        m.step = j.value("step", int64_t{0});
        m.bestMetric = j.value("best_metric", -1.0);
        m.bestEpoch = j.value("best_epoch", 0);
        m.initDone = j.value("init_done", false);
        m.precision = j.value("precision", std::string());
        m.teacherPrecision = j.value("teacher_precision", std::string());
        m.classNames = j.value("class_names", std::vector<std::string>{});
        if (j.contains("quant")) {
            m.quantized = true;
            m.lsq = j["quant"].value("lsq", false);
            m.weightBits = j["quant"].value("weight_bits", std::map<std::string, int>{});
            m.vertical = j["quant"].value("vertical", std::vector<int>{});
        }
        return m;
    } catch (const nlohmann::json::exception& e) {
        throw Error(path + ": checkpoint description is incomplete (" + std::string(e.what()) + ")");
    }
}

void saveCheckpoint(const std::string& path, const CheckpointMeta& meta, GraphNet& model,
                    std::vector<LossTerm>& terms, torch::optim::Optimizer* optimizer) {
    torch::serialize::OutputArchive archive;
    archive.write("meta", c10::IValue(meta.toJson().dump()));
    // Models that are not the zoo's (imported ones, pruned ones and those trained from them) carry their
    // structure, so the file alone rebuilds them.
    if (!meta.model.onnx.empty() || !meta.model.checkpoint.empty())
        archive.write("graph", c10::IValue(model->structureJson()));
    torch::serialize::OutputArchive modelArchive;
    model->save(modelArchive);
    archive.write("model", modelArchive);
    for (size_t i = 0; i < terms.size(); ++i) {
        if (terms[i]->parameters().empty()) continue;
        torch::serialize::OutputArchive termArchive;
        terms[i]->save(termArchive);
        archive.write("term" + std::to_string(i), termArchive);
    }
    if (optimizer) {
        torch::serialize::OutputArchive optArchive;
        optimizer->save(optArchive);
        archive.write("optimizer", optArchive);
    }
    fs::path target(path);
    fs::create_directories(target.parent_path());
    fs::path tmp = target;
    tmp += ".tmp";
    try {
        archive.save_to(tmp.string());
    } catch (const c10::Error& e) {
        throw Failure("cannot write checkpoint " + path + ": " + printable(e.what_without_backtrace()));
    }
    std::error_code ec;
    fs::rename(tmp, target, ec);
    if (ec) throw Failure("cannot write checkpoint " + path + ": " + ec.message());
}

namespace {
torch::serialize::InputArchive openArchive(const std::string& path) {
    if (!fs::is_regular_file(path)) throw Error("checkpoint " + path + " not found");
    torch::serialize::InputArchive archive;
    try {
        archive.load_from(path);
    } catch (const Error&) {
        throw;
    } catch (const std::exception&) {
        // c10::Error, and TorchScript's own errors for archives whose code section is damaged.
        throw Error(path + " is not a Distillery checkpoint (cannot read it as a torch archive)");
    }
    return archive;
}

CheckpointMeta metaOf(torch::serialize::InputArchive& archive, const std::string& path) {
    c10::IValue value;
    bool found = false;
    try {
        found = archive.try_read("meta", value);
    } catch (const std::exception&) {
        throw Error(path + " is not a readable Distillery checkpoint (its description cannot be read)");
    }
    if (!found || !value.isString()) throw Error(path + " is not a Distillery checkpoint (no description)");
    try {
        return CheckpointMeta::fromJson(nlohmann::json::parse(value.toStringRef()), path);
    } catch (const nlohmann::json::exception& e) {
        throw Error(path + ": checkpoint description is not valid JSON");
    }
}
}  // namespace

namespace {
void loadInto(torch::serialize::InputArchive& archive, const std::string& path, GraphNet& model,
              std::vector<LossTerm>* terms, torch::optim::Optimizer* optimizer) {
    try {
        torch::serialize::InputArchive modelArchive;
        archive.read("model", modelArchive);
        model->load(modelArchive);
        if (terms) {
            for (size_t i = 0; i < terms->size(); ++i) {
                if ((*terms)[i]->parameters().empty()) continue;
                torch::serialize::InputArchive termArchive;
                if (archive.try_read("term" + std::to_string(i), termArchive)) (*terms)[i]->load(termArchive);
            }
        }
        if (optimizer) {
            torch::serialize::InputArchive optArchive;
            if (archive.try_read("optimizer", optArchive)) optimizer->load(optArchive);
        }
    } catch (const c10::Error& e) {
        throw Error(path + ": weights do not fit the model (" + printable(e.what_without_backtrace(), 300) +
                    ")");
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error(path + ": the weights cannot be read (" + printable(e.what(), 300) + ")");
    }
}
}  // namespace

CheckpointMeta readCheckpointMeta(const std::string& path) {
    auto archive = openArchive(path);
    return metaOf(archive, path);
}

CheckpointMeta loadCheckpoint(const std::string& path, GraphNet& model, std::vector<LossTerm>* terms,
                              torch::optim::Optimizer* optimizer) {
    auto archive = openArchive(path);
    CheckpointMeta meta = metaOf(archive, path);
    loadInto(archive, path, model, terms, optimizer);
    return meta;
}

std::string resolveCheckpoint(const std::string& path, CheckpointChoice choice) {
    fs::path p(path);
    const std::string which = checkpointName(choice);
    if (fs::is_directory(p)) {
        for (const fs::path& candidate : {p / "checkpoints" / (which + ".pt"), p / (which + ".pt")})
            if (fs::is_regular_file(candidate)) return candidate.string();
        throw Error(path + " holds no checkpoint (expected checkpoints/" + which +
                    ".pt inside a run folder)");
    }
    if (!fs::is_regular_file(p)) throw Error("checkpoint " + path + " not found");
    return p.string();
}

void prepareForCheckpoint(GraphNet& net, const CheckpointMeta& meta) {
    if (!meta.quantized) return;
    net->eval();
    net->foldBatchNorm();
    net->enableQuantization(meta.weightBits, meta.lsq);
    if (!meta.vertical.empty()) net->enableVerticalLayering();  // at its top width
}

GraphNet buildCheckpointModel(torch::serialize::InputArchive& archive, const std::string& path,
                              const CheckpointMeta& meta) {
    c10::IValue graph;
    bool hasGraph = false;
    try {
        hasGraph = archive.try_read("graph", graph);
    } catch (const std::exception&) {
        throw Error(path + ": the stored model structure cannot be read");
    }
    if (hasGraph) {
        if (!graph.isString()) throw Error(path + ": the stored model structure is not text");
        return graphFromJson(graph.toStringRef(), path);
    }
    if (!meta.model.onnx.empty() || !meta.model.checkpoint.empty())
        throw Error(path + ": the checkpoint of an imported or pruned model holds no model structure");
    return buildModel(meta.model, meta.task, meta.inChannels, meta.numClasses);
}

GraphNet loadModel(const std::string& checkpointPath, CheckpointMeta* metaOut, torch::Device device) {
    auto archive = openArchive(checkpointPath);
    CheckpointMeta meta = metaOf(archive, checkpointPath);
    GraphNet net = buildCheckpointModel(archive, checkpointPath, meta);
    prepareForCheckpoint(net, meta);
    loadInto(archive, checkpointPath, net, nullptr, nullptr);
    net->to(device);
    net->eval();
    if (metaOut) *metaOut = meta;
    return net;
}

}  // namespace distillery

namespace distillery {

GraphNet loadTeacher(const TeacherSpec& teacher, Task task, int64_t inChannels, int64_t numClasses,
                     int64_t height, int64_t width, torch::Device device, CheckpointMeta* metaOut) {
    if (!teacher.checkpoint.empty() || teacher.model.onnx.empty())
        return loadModel(resolveCheckpoint(teacher.checkpoint), metaOut, device);
    // An imported teacher without a checkpoint: the file's own weights.
    GraphNet net = buildModel(teacher.model, task, inChannels, numClasses, height, width);
    net->to(device);
    net->eval();
    if (metaOut) {
        CheckpointMeta m;
        m.model = teacher.model;
        m.task = task;
        m.inChannels = inChannels;
        m.numClasses = numClasses;
        m.inputH = height;
        m.inputW = width;
        *metaOut = m;
    }
    return net;
}

}  // namespace distillery
