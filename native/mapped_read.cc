// mapRead(fd, position, length) -> Buffer over the bytes of a log file as
// the mmap strategy maps them (map_cache.h: 1 GiB read-only windows, kept),
// or null where the caller reads them with pread instead: a region past the
// end of the file, one that crosses a window, a failed mmap.
//
// The RocketMQ receive path must look inside the records it delivers, so it
// cannot send them with sendfile; it reads them as RocketMQ's broker does,
// from a mapping, and copies each body once, into the answer. pread copied
// every byte into a new buffer first (and was the largest single cost of a
// receive in the broker's own code). The Buffer holds its window until the
// Buffer is collected, so the bytes stay readable after the file is closed
// or deleted; log files only shrink below what was read in recovery, before
// any read. The window is PROT_READ: the caller never writes to it.
#include "mapped_read.h"

#include <sys/stat.h>

#include <memory>

#include "map_cache.h"

namespace mqlab {

namespace {

void ReleaseWindow(Napi::Env, uint8_t*, std::shared_ptr<MapWindow>* window) { delete window; }

Napi::Value MapRead(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber()) {
    Napi::TypeError::New(env, "mapRead(fd, position, length)").ThrowAsJavaScriptException();
    return env.Null();
  }
  const int fd = info[0].As<Napi::Number>().Int32Value();
  const double position = info[1].As<Napi::Number>().DoubleValue();
  const double length = info[2].As<Napi::Number>().DoubleValue();
  if (!(position >= 0 && length > 0 && position + length <= 9007199254740991.0)) return env.Null();
  const uint64_t pos = static_cast<uint64_t>(position);
  const uint64_t len = static_cast<uint64_t>(length);
  struct stat st;
  if (fstat(fd, &st) != 0 || pos + len > static_cast<uint64_t>(st.st_size)) return env.Null();
  const uint64_t inWindow = pos % kMapWindowBytes;
  if (inWindow + len > kMapWindowBytes) return env.Null();
  int err = 0;
  std::shared_ptr<MapWindow> w = MapWindowFor(fd, st, pos, &err);
  if (!w) return env.Null();
  uint8_t* bytes = const_cast<uint8_t*>(w->base + inWindow);
  return Napi::Buffer<uint8_t>::New(env, bytes, static_cast<size_t>(len), ReleaseWindow, new std::shared_ptr<MapWindow>(std::move(w)));
}

}  // namespace

void InitMappedRead(Napi::Env env, Napi::Object exports) {
  exports.Set("mapRead", Napi::Function::New(env, MapRead, "mapRead"));
}

}  // namespace mqlab
