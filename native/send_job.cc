#include "send_job.h"

#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace mqlab {

namespace {

// The bounce buffer of the copy strategy: big enough to amortise the two
// system calls per chunk, small enough to stay in L2. Pooled, because a fresh
// 256 KiB allocation is an mmap/munmap pair in glibc.
constexpr size_t kCopyBufferBytes = 256 * 1024;
constexpr size_t kCopyBuffersPooledMax = 16;
thread_local std::vector<uint8_t*> t_bufferPool;

uint8_t* TakeBuffer() {
  if (t_bufferPool.empty()) return new uint8_t[kCopyBufferBytes];
  uint8_t* b = t_bufferPool.back();
  t_bufferPool.pop_back();
  return b;
}

void GiveBuffer(uint8_t* b) {
  if (t_bufferPool.size() < kCopyBuffersPooledMax) {
    t_bufferPool.push_back(b);
  } else {
    delete[] b;
  }
}

// Linux caps one sendfile(2) at this many bytes.
constexpr uint64_t kSendfileMaxBytes = 0x7ffff000;
constexpr int kIovecsPerWrite = 64;

}  // namespace

SendJob::SendJob(int strategy, int sock, const uint8_t* header, size_t headerLength,
                 std::vector<Region> regions)
    : strategy_(strategy),
      sock_(sock),
      counters_(CountersFor(strategy)),
      header_(header),
      headerLength_(headerLength),
      regions_(std::move(regions)) {
  counters_.sends++;
}

SendJob::~SendJob() {
  if (buffer_ != nullptr) GiveBuffer(buffer_);
  for (int fd : ownedFds_) {
    close(fd);
    counters_.syscalls[kSysClose]++;
  }
}

bool SendJob::Prepare() {
  for (const Region& r : regions_) {
    if (r.fd < 0 || r.position + r.length < r.position) {
      error_ = EINVAL;
      failedSyscall_ = "region";
      return false;
    }
  }
  if (strategy_ == kMmap) {
    for (const Region& r : regions_) {
      if (r.length == 0) continue;
      struct stat st;
      counters_.syscalls[kSysFstat]++;
      if (fstat(r.fd, &st) != 0) {
        error_ = errno;
        failedSyscall_ = "fstat";
        return false;
      }
      if (r.position + r.length > static_cast<uint64_t>(st.st_size)) {
        error_ = ENODATA;
        failedSyscall_ = "fstat";
        return false;
      }
      uint64_t pos = r.position;
      const uint64_t end = r.position + r.length;
      while (pos < end) {
        int err = 0;
        auto w = MapWindowFor(r.fd, st, pos, &err);
        if (!w) {
          error_ = err;
          failedSyscall_ = "mmap";
          return false;
        }
        const uint64_t inWindow = pos % kMapWindowBytes;
        const uint64_t take = std::min(end - pos, kMapWindowBytes - inWindow);
        slices_.push_back({w->base + inWindow, static_cast<size_t>(take)});
        if (windows_.empty() || windows_.back() != w) windows_.push_back(std::move(w));
        pos += take;
      }
    }
  } else if (strategy_ == kCopy) {
    for (const Region& r : regions_) {
      if (r.length > 0) {
        buffer_ = TakeBuffer();
        break;
      }
    }
  }
  return true;
}

int SendJob::Detach() {
  if (HeaderPending()) {
    ownedHeader_.assign(header_ + headerOffset_, header_ + headerLength_);
    header_ = ownedHeader_.data();
    headerLength_ = ownedHeader_.size();
    headerOffset_ = 0;
  } else {
    header_ = nullptr;
    headerLength_ = headerOffset_ = 0;
  }
  // mmap reads through its windows, which it already holds; the others still
  // read through the file fds.
  if (strategy_ != kMmap) {
    for (size_t i = regionIndex_; i < regions_.size(); i++) {
      counters_.syscalls[kSysDup]++;
      int fd = dup(regions_[i].fd);
      if (fd < 0) return -1;
      ownedFds_.push_back(fd);
      regions_[i].fd = fd;
    }
  }
  counters_.syscalls[kSysDup]++;
  int sock = dup(sock_);
  if (sock < 0) return -1;
  ownedFds_.push_back(sock);
  sock_ = sock;
  return sock;
}

// One write(2) or writev(2) of `count` iovecs, counted; EINTR retried.
// kDone here means "wrote *written bytes", not that the send is over.
StepResult SendJob::WriteVectors(const struct iovec* iov, int count, size_t* written) {
  for (;;) {
    ssize_t n;
    if (count == 1) {
      counters_.syscalls[kSysWrite]++;
      n = write(sock_, iov[0].iov_base, iov[0].iov_len);
    } else {
      counters_.syscalls[kSysWritev]++;
      n = writev(sock_, iov, count);
    }
    if (n >= 0) {
      *written = static_cast<size_t>(n);
      return StepResult::kDone;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      counters_.eagain++;
      return StepResult::kAgain;
    }
    return Fail(errno, count == 1 ? "write" : "writev");
  }
}

StepResult SendJob::Fail(int err, const char* syscall) {
  error_ = err;
  failedSyscall_ = syscall;
  return StepResult::kError;
}

size_t SendJob::ConsumeHeader(size_t n) {
  const size_t h = std::min(n, headerLength_ - headerOffset_);
  headerOffset_ += h;
  counters_.headerBytes += h;
  return n - h;
}

StepResult SendJob::Step() {
  switch (strategy_) {
    case kSendfile: return StepSendfile();
    case kMmap: return StepMmap();
    default: return StepCopy();
  }
}

StepResult SendJob::StepSendfile() {
  while (HeaderPending()) {
    // MSG_MORE lets the kernel put the header and the first file bytes in
    // one segment instead of sending a tiny packet ahead of them.
    const bool more = regionIndex_ < regions_.size();
    counters_.syscalls[kSysSend]++;
    ssize_t n = send(sock_, header_ + headerOffset_, headerLength_ - headerOffset_,
                     MSG_NOSIGNAL | (more ? MSG_MORE : 0));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        counters_.eagain++;
        return StepResult::kAgain;
      }
      return Fail(errno, "send");
    }
    ConsumeHeader(static_cast<size_t>(n));
  }
  while (regionIndex_ < regions_.size()) {
    const Region& r = regions_[regionIndex_];
    if (regionOffset_ == r.length) {
      regionIndex_++;
      regionOffset_ = 0;
      continue;
    }
    off_t offset = static_cast<off_t>(r.position + regionOffset_);
    const uint64_t want = std::min(r.length - regionOffset_, kSendfileMaxBytes);
    counters_.syscalls[kSysSendfile]++;
    ssize_t n = sendfile(sock_, r.fd, &offset, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {
        counters_.eagain++;
        return StepResult::kAgain;
      }
      return Fail(errno, "sendfile");
    }
    if (n == 0) return Fail(ENODATA, "sendfile");  // region past end of file
    regionOffset_ += static_cast<uint64_t>(n);
    counters_.fileBytes += static_cast<uint64_t>(n);
  }
  return StepResult::kDone;
}

StepResult SendJob::StepMmap() {
  for (;;) {
    struct iovec iov[kIovecsPerWrite];
    int count = 0;
    if (HeaderPending()) {
      iov[count++] = {const_cast<uint8_t*>(header_ + headerOffset_), headerLength_ - headerOffset_};
    }
    for (size_t i = sliceIndex_; i < slices_.size() && count < kIovecsPerWrite; i++) {
      const size_t skip = i == sliceIndex_ ? sliceOffset_ : 0;
      iov[count++] = {const_cast<uint8_t*>(slices_[i].data + skip), slices_[i].length - skip};
    }
    if (count == 0) return StepResult::kDone;
    size_t n = 0;
    const StepResult r = WriteVectors(iov, count, &n);
    if (r != StepResult::kDone) return r;
    size_t data = ConsumeHeader(n);
    counters_.fileBytes += data;
    counters_.copiedBytes += data;
    while (data > 0) {
      const size_t left = slices_[sliceIndex_].length - sliceOffset_;
      const size_t take = std::min(left, data);
      sliceOffset_ += take;
      data -= take;
      if (sliceOffset_ == slices_[sliceIndex_].length) {
        sliceIndex_++;
        sliceOffset_ = 0;
      }
    }
    // Skip empty slices so that "done" is seen without another write.
    while (sliceIndex_ < slices_.size() && slices_[sliceIndex_].length == 0) sliceIndex_++;
  }
}

StepResult SendJob::StepCopy() {
  for (;;) {
    // Fill the buffer first, so the header and the first chunk leave in one
    // writev.
    if (bufferStart_ == bufferEnd_ && regionIndex_ < regions_.size()) {
      const Region& r = regions_[regionIndex_];
      if (regionOffset_ == r.length) {
        regionIndex_++;
        regionOffset_ = 0;
        continue;
      }
      const size_t want = static_cast<size_t>(std::min<uint64_t>(r.length - regionOffset_, kCopyBufferBytes));
      counters_.syscalls[kSysPread]++;
      ssize_t got = pread(r.fd, buffer_, want, static_cast<off_t>(r.position + regionOffset_));
      if (got < 0) {
        if (errno == EINTR) continue;
        return Fail(errno, "pread");
      }
      if (got == 0) return Fail(ENODATA, "pread");  // region past end of file
      regionOffset_ += static_cast<uint64_t>(got);
      counters_.copiedBytes += static_cast<uint64_t>(got);
      bufferStart_ = 0;
      bufferEnd_ = static_cast<size_t>(got);
    }
    struct iovec iov[2];
    int count = 0;
    if (HeaderPending()) {
      iov[count++] = {const_cast<uint8_t*>(header_ + headerOffset_), headerLength_ - headerOffset_};
    }
    if (bufferStart_ < bufferEnd_) iov[count++] = {buffer_ + bufferStart_, bufferEnd_ - bufferStart_};
    if (count == 0) return StepResult::kDone;
    size_t n = 0;
    const StepResult r = WriteVectors(iov, count, &n);
    if (r != StepResult::kDone) return r;
    const size_t data = ConsumeHeader(n);
    bufferStart_ += data;
    counters_.fileBytes += data;
    counters_.copiedBytes += data;
  }
}

}  // namespace mqlab
