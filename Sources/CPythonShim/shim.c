#include <Python.h>
#include "CPythonShim.h"
int bce_shim_placeholder(void) { return PY_MAJOR_VERSION; }
