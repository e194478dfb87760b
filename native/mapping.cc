// map(fd, offset, length, writable) -> ArrayBuffer over mmap(2)'d file bytes;
// unmap(arrayBuffer) unmaps now; msync(arrayBuffer, offset, length) flushes.
//
// Sizes and offsets are 64-bit (JavaScript numbers, exact to 2^53). Unmapping
// is explicit because a mapping held until garbage collection keeps a
// deleted file's disk space and address space for an unknown time. unmap()
// detaches the ArrayBuffer first, so every view of it reads as empty instead
// of touching unmapped memory. A mapping nobody unmapped is released by the
// ArrayBuffer's finalizer.
#include "mapping.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <unordered_map>

namespace mqlab {

namespace {

struct MapInfo {
  void* address;
  size_t length;
  bool unmapped;
};

// Live mappings by address, to find a mapping from its ArrayBuffer.
thread_local std::unordered_map<void*, MapInfo*> t_maps;

void Release(MapInfo* m) {
  if (m->unmapped) return;
  munmap(m->address, m->length);
  m->unmapped = true;
  t_maps.erase(m->address);
}

void Finalize(Napi::Env, void*, MapInfo* m) {
  Release(m);
  delete m;
}

void ThrowErrno(Napi::Env env, int err, const char* syscall) {
  Napi::Error e = Napi::Error::New(env, std::string(syscall) + ": " + std::strerror(err));
  e.Set("code", Napi::String::New(env, err == ENOMEM ? "ENOMEM" : err == EACCES ? "EACCES" : err == EBADF ? "EBADF" : err == EINVAL ? "EINVAL" : "EIO"));
  e.Set("errno", Napi::Number::New(env, -err));
  e.Set("syscall", Napi::String::New(env, syscall));
  e.ThrowAsJavaScriptException();
}

bool ReadSize(const Napi::Value& v, uint64_t* out) {
  if (!v.IsNumber()) return false;
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d > 9007199254740991.0 || d != static_cast<double>(static_cast<uint64_t>(d))) return false;
  *out = static_cast<uint64_t>(d);
  return true;
}

Napi::Value Map(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t offset = 0, length = 0;
  if (!info[0].IsNumber() || !ReadSize(info[1], &offset) || !ReadSize(info[2], &length) || length == 0) {
    Napi::TypeError::New(env, "map(fd, offset, length > 0, writable)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const long page = sysconf(_SC_PAGESIZE);
  if (offset % static_cast<uint64_t>(page) != 0) {
    Napi::RangeError::New(env, "map: offset must be a multiple of the page size").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int fd = info[0].As<Napi::Number>().Int32Value();
  const bool writable = info[3].ToBoolean();
  void* p = mmap(nullptr, length, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd,
                 static_cast<off_t>(offset));
  if (p == MAP_FAILED) {
    ThrowErrno(env, errno, "mmap");
    return env.Undefined();
  }
  auto* m = new MapInfo{p, static_cast<size_t>(length), false};
  t_maps[p] = m;
  return Napi::ArrayBuffer::New(env, p, m->length, Finalize, m);
}

MapInfo* Find(const Napi::CallbackInfo& info) {
  if (!info[0].IsArrayBuffer()) return nullptr;
  auto ab = info[0].As<Napi::ArrayBuffer>();
  auto it = t_maps.find(ab.Data());
  return it == t_maps.end() ? nullptr : it->second;
}

Napi::Value Unmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MapInfo* m = Find(info);
  if (m == nullptr) {
    Napi::TypeError::New(env, "unmap: not a live mapping from map()").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  info[0].As<Napi::ArrayBuffer>().Detach();
  Release(m);
  return env.Undefined();
}

Napi::Value Msync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MapInfo* m = Find(info);
  uint64_t offset = 0, length = 0;
  if (m == nullptr || !ReadSize(info[1], &offset) || !ReadSize(info[2], &length) ||
      offset + length > m->length) {
    Napi::TypeError::New(env, "msync(mapping, offset, length) within the mapping").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  // msync wants a page-aligned start.
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  const uint64_t start = offset - offset % page;
  if (length > 0 && msync(static_cast<uint8_t*>(m->address) + start, length + (offset - start), MS_SYNC) != 0) {
    ThrowErrno(env, errno, "msync");
  }
  return env.Undefined();
}

}  // namespace

void InitMapping(Napi::Env env, Napi::Object exports) {
  exports.Set("map", Napi::Function::New(env, Map, "map"));
  exports.Set("unmap", Napi::Function::New(env, Unmap, "unmap"));
  exports.Set("msync", Napi::Function::New(env, Msync, "msync"));
}

}  // namespace mqlab
