#include "widgets/views/view_types.h"

namespace distillery {
void registerEngineMetaTypes() {
    qRegisterMetaType<StepEvent>();
    qRegisterMetaType<EpochEvent>();
    qRegisterMetaType<ActivationSnapshot>();
    qRegisterMetaType<RunSummary>();
    qRegisterMetaType<RunStatus>();
}
}  // namespace distillery
