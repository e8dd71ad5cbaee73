#ifndef CPYTHONSHIM_H
#define CPYTHONSHIM_H
// Placeholder: the bridge issue fills this in. This header must never include Python.h.
int bce_shim_placeholder(void);
#endif
