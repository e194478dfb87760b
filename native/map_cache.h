// Read-only mappings of log files for the mmap strategy, made once and kept,
// as RocketMQ keeps its MappedFiles.
//
// A file is mapped in 1 GiB windows (virtual address space is cheap on a
// 64-bit machine; pages are only touched when sent). Windows are keyed by the
// file's identity (device, inode), not by fd number: fd numbers are reused
// after close, and a window found by a stale fd would send another file's
// bytes. The cost is one fstat(2) per region per send, which also lets us
// refuse a region past the end of the file instead of taking SIGBUS.
#pragma once
#include <sys/stat.h>
#include <sys/types.h>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "counters.h"

namespace mqlab {

constexpr uint64_t kMapWindowBytes = uint64_t{1} << 30;
constexpr size_t kMapWindowsMax = 64;

struct MapWindow {
  const uint8_t* base = nullptr;
  dev_t dev = 0;
  ino_t ino = 0;
  uint64_t index = 0;  // window number: file offset / kMapWindowBytes
  ~MapWindow();
};

// Returns the window holding file offset `position`, mapping it on a miss.
// `st` is the caller's fstat of `fd`. Null with *err set on failure.
std::shared_ptr<MapWindow> MapWindowFor(int fd, const struct stat& st, uint64_t position, int* err);

// Drops every cached window of the file behind `fd` (call before deleting a
// file so its disk space is released). Windows still used by an in-flight
// send stay mapped until that send ends.
void MapCacheForget(int fd);
void MapCacheClear();
size_t MapCacheSize();

}  // namespace mqlab
