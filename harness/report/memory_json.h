// File: memory_json.h
//
// The `memory` object of the JSON report (report_json.h; documented in
// report_schema.md, "memory"): where RSS went, per class of resident
// memory, file pattern, thread group, class loader type, mmap call site
// and the allocator's figures, each series aligned with the report's
// `timeline`; `recorded: false` with the reason for bare .heap files.

#ifndef JLEAK_HARNESS_REPORT_MEMORY_JSON_H_
#define JLEAK_HARNESS_REPORT_MEMORY_JSON_H_

#include "harness/analyze/analysis.h"
#include "nlohmann/json.hpp"

namespace jleak {

nlohmann::ordered_json MemoryJson(const MemoryReport& memory);

}  // namespace jleak

#endif  // JLEAK_HARNESS_REPORT_MEMORY_JSON_H_
