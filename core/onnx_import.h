#pragma once
// Models that arrive as ONNX files (torch.onnx.export, tf2onnx): what the importer makes of a file, for the
// CLI (`models --onnx`) and the GUI. No torch here; the importer itself is core/internal/onnx_import.h.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/types.h"

namespace distillery {

struct OnnxImportReport {
    std::string file;
    std::string sha256;  // of the file's bytes
    int64_t opset = 0;   // of the default domain
    int64_t irVersion = 0;
    std::string producer;  // e.g. "pytorch 1.13.1"
    std::string inputName;
    std::vector<int64_t> declaredInput;            // the file's input shape as declared, -1 where symbolic
    bool channelsLastInput = false;                // the file takes NHWC (a leading Transpose was absorbed)
    std::vector<std::pair<std::string, int>> ops;  // ONNX op types and how often, in order of first use
    std::vector<std::string> notes;                // what the importer changed (a dropped final Softmax, ...)
    std::string droppedOutputOp;           // "Softmax" / "LogSoftmax" when the file's last op was dropped
    std::vector<int64_t> fileOutputShape;  // the file's output per sample at the import size
    bool upsampledOutput = false;          // segmentation maps smaller than the input were upsampled
    ModelInfo model;  // the imported graph measured at the import size (task, classes, taps, layers)
};

/** The ONNX operators the importer accepts, for messages and documentation. */
std::vector<std::string> supportedOnnxOps();

/**
 * Imports `file` for a channels×height×width input (0: the file's own size) and describes the result.
 * Throws Error with one line naming the file, the node, its op type and what is supported.
 */
OnnxImportReport describeOnnxModel(const std::string& file, int64_t channels = 0, int64_t height = 0,
                                   int64_t width = 0);

}  // namespace distillery
