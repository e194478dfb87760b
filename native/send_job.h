// One send: a header followed by file regions, written to a non-blocking
// socket by one strategy. Step() writes as much as the socket takes and
// returns; the caller re-runs it when the socket is writable again. The job
// never blocks and never writes anything but its own bytes, in order.
#pragma once
#include <napi.h>
#include <sys/uio.h>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "counters.h"
#include "map_cache.h"

namespace mqlab {

struct Region {
  int fd;
  uint64_t position;
  uint64_t length;
};

enum class StepResult { kDone, kAgain, kError };

// Reads a Float64Array of [fd, position, length] triples; false if
// malformed. Defined in transfer.cc, shared with threadpool_send.cc.
bool ReadRegions(const Napi::Value& value, std::vector<Region>* out);

class SendJob {
 public:
  SendJob(int strategy, int sock, const uint8_t* header, size_t headerLength,
          std::vector<Region> regions);
  ~SendJob();
  SendJob(const SendJob&) = delete;
  SendJob& operator=(const SendJob&) = delete;

  // Checks the regions and, for mmap, resolves them to mapped memory.
  // False with error() set if a region cannot be sent.
  bool Prepare();
  StepResult Step();

  // Makes the job independent of memory and fds its caller owns, before it
  // outlives the call that started it: copies the header and dups the socket
  // and file fds, so a close on the JavaScript side can never make us write
  // to, or read from, a reused fd number. Returns the socket dup, or -1.
  int Detach();

  void SetError(int err, const char* syscall) {
    error_ = err;
    failedSyscall_ = syscall;
  }
  int error() const { return error_; }
  const char* failedSyscall() const { return failedSyscall_; }
  int strategy() const { return strategy_; }

 private:
  struct Slice {
    const uint8_t* data;
    size_t length;
  };

  StepResult StepSendfile();
  StepResult StepMmap();
  StepResult StepCopy();
  StepResult Fail(int err, const char* syscall);
  StepResult WriteVectors(const struct iovec* iov, int count, size_t* written);
  // Accounts n bytes written from header-then-data, advancing the header.
  size_t ConsumeHeader(size_t n);
  bool HeaderPending() const { return headerOffset_ < headerLength_; }

  int strategy_;
  int sock_;
  Counters& counters_;
  const uint8_t* header_;
  size_t headerLength_;
  size_t headerOffset_ = 0;
  std::vector<uint8_t> ownedHeader_;
  std::vector<Region> regions_;
  size_t regionIndex_ = 0;
  uint64_t regionOffset_ = 0;
  std::vector<int> ownedFds_;
  // mmap: the regions as mapped memory, and the windows that keep it mapped.
  std::vector<Slice> slices_;
  size_t sliceIndex_ = 0;
  size_t sliceOffset_ = 0;
  std::vector<std::shared_ptr<MapWindow>> windows_;
  // copy: one pooled bounce buffer; [bufferStart_, bufferEnd_) is unwritten.
  uint8_t* buffer_ = nullptr;
  size_t bufferStart_ = 0;
  size_t bufferEnd_ = 0;
  int error_ = 0;
  const char* failedSyscall_ = "";
};

}  // namespace mqlab
