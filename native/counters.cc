#include "counters.h"

namespace mqlab {

const char* const kStrategyNames[kStrategyCount] = {"sendfile", "mmap", "copy"};
const char* const kSyscallNames[kSyscallCount] = {
    "sendfile", "write", "writev", "send", "pread", "mmap",
    "munmap", "fstat", "dup", "close"};

static thread_local Counters g_counters[kStrategyCount];

Counters& CountersFor(int strategy) { return g_counters[strategy]; }

void ResetCounters() {
  for (auto& c : g_counters) c = Counters{};
}

}  // namespace mqlab
