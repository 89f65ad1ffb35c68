"""Graph equality for tests: the runners and partitionings must build the same graph."""
import numpy as np


def assert_same_graph(a, b) -> None:
    """Every table and array equal, value for value (NaN where NaN), same types and order."""
    assert a.tables.keys() == b.tables.keys() and a.arrays.keys() == b.arrays.keys()
    for name, t in a.tables.items():
        u = b.tables[name]
        assert t.schema == u.schema and t.num_rows == u.num_rows, name
        for col in t.schema.names:
            x, y = t.column(col).to_numpy(zero_copy_only=False), u.column(col).to_numpy(zero_copy_only=False)
            assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), (name, col)
    for name, arrs in a.arrays.items():
        for key, x in arrs.items():
            y = b.arrays[name][key]
            assert x.dtype == y.dtype and np.array_equal(x, y), (name, key)
