#include "widgets/views/view_types.h"

namespace distillery {
void registerEngineMetaTypes() {
    qRegisterMetaType<StepEvent>();
    qRegisterMetaType<EpochEvent>();
    qRegisterMetaType<ActivationSnapshot>();
    qRegisterMetaType<RunSummary>();
    qRegisterMetaType<BalanceSample>();
    qRegisterMetaType<RunStatus>();
}
}  // namespace distillery
