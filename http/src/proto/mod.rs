//! Sans-IO HTTP/1.1: see the submodules.
