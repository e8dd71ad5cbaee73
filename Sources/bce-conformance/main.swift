// Placeholder: the runner issue fills this in.
import BCEConformance
print("bce-conformance: not built yet")
