#pragma once
// Moved to verify/runtime_check.h (target distillery_verify); kept until the widgets include the new path.
#include "verify/runtime_check.h"
