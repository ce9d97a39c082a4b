// module.hpp - process-wide facts about the loaded pgstreamx library.
#pragma once

namespace pgstreamx {

// The version of the loaded shared library (the control file's
// default_version at build time), e.g. "0.1.0".
const char *library_version() noexcept;

}  // namespace pgstreamx
