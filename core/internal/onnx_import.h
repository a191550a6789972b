#pragma once
// The ONNX importer: builds a GraphNet (the same op graph the zoo builds) from an ONNX file, with the file's
// weights. Private to the core (includes torch).

#include <string>

#include "core/internal/graph_net.h"
#include "core/onnx_import.h"

namespace distillery {

struct ImportedModel {
    GraphNet net{nullptr};
    OnnxImportReport report;  // report.model: task, classes and taps at the import size
};

/** See describeOnnxModel; the net comes back in eval mode on the CPU. */
ImportedModel importOnnx(const std::string& file, int64_t channels = 0, int64_t height = 0,
                         int64_t width = 0);

}  // namespace distillery
