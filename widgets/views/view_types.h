#pragma once
// Metatype registration of the engine's plain event types, shared by the bridge and the views.

#include <QMetaType>

#include "core/engine.h"

Q_DECLARE_METATYPE(distillery::StepEvent)
Q_DECLARE_METATYPE(distillery::EpochEvent)
Q_DECLARE_METATYPE(distillery::ActivationSnapshot)
Q_DECLARE_METATYPE(distillery::RunSummary)
Q_DECLARE_METATYPE(distillery::BalanceSample)
Q_DECLARE_METATYPE(distillery::RunStatus)

namespace distillery {
/** Registers the engine's event types with Qt's meta-type system (idempotent). */
void registerEngineMetaTypes();
}  // namespace distillery
