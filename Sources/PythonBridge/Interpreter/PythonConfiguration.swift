/// How the embedded interpreter is set up; fixed when it starts (on the first `Python.withGIL`).
///
/// The interpreter is always the system Python whose headers this package was built against
/// (`/usr/bin/python3.X` with its own standard library and `dist-packages`), isolated from
/// `PYTHONHOME`, `PYTHONPATH`, the user's site directory and `PATH`. The one way to make other
/// packages importable is `searchPaths`.
public struct PythonConfiguration: Sendable, Equatable {
    /// Directories to import from, ahead of the system's own entries on `sys.path`, in this order.
    ///
    /// Each is added with `site.addsitedir`, so `.pth` files in it are honoured: the
    /// `site-packages` of a virtual environment made with the same Python version
    /// (`/usr/bin/python3.11 -m venv ...`) works, and its NumPy then wins over Debian's.
    /// A directory of another Python version's packages does not work (compiled extensions differ).
    public var searchPaths: [String]

    public init(searchPaths: [String] = []) {
        self.searchPaths = searchPaths
    }
}
