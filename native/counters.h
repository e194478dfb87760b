// Per-strategy counters of what the transfer code asked of the kernel.
//
// Every system call the addon makes on the transfer path is counted by kind,
// whether it succeeded, returned short or failed (EAGAIN included), so the
// totals can be checked against `strace -c`. Byte counters separate log data
// (fileBytes) from the response header every strategy writes alike
// (headerBytes); copiedBytes counts log-data bytes the CPU copied:
// sendfile 0, mmap+write 1x (page cache to socket buffer), pread+write 2x.
#pragma once
#include <cstdint>

namespace mqlab {

enum Strategy : int { kSendfile = 0, kMmap = 1, kCopy = 2, kStrategyCount = 3 };

enum Syscall : int {
  kSysSendfile, kSysWrite, kSysWritev, kSysSend, kSysPread, kSysMmap,
  kSysMunmap, kSysFstat, kSysDup, kSysClose, kSyscallCount
};

extern const char* const kStrategyNames[kStrategyCount];
extern const char* const kSyscallNames[kSyscallCount];

struct Counters {
  uint64_t sends = 0;           // sends started
  uint64_t sendsInline = 0;     // finished inside the first, synchronous attempt
  uint64_t sendsDeferred = 0;   // had to wait for the socket to become writable
  uint64_t sendsFailed = 0;
  uint64_t writableWaits = 0;   // times a deferred send waited for writability
  uint64_t eagain = 0;          // system calls that returned EAGAIN
  uint64_t fileBytes = 0;       // log bytes delivered to the socket
  uint64_t headerBytes = 0;     // header bytes delivered to the socket
  uint64_t copiedBytes = 0;     // log bytes copied by the CPU
  uint64_t syscalls[kSyscallCount] = {};
};

// The process-wide table; the addon only touches it from the JS thread that
// loaded it (the main thread), so plain integers suffice.
Counters& CountersFor(int strategy);
void ResetCounters();

}  // namespace mqlab
