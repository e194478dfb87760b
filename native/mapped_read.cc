// mapRead(fd, position, length) -> Buffer over the bytes of a log file as
// the mmap strategy maps them (map_cache.h: 1 GiB read-only windows, kept),
// or null where the caller reads them with pread instead: a region past the
// end of the file, one that crosses a window, a failed mmap.
//
// mapChunk(fd, position, length) -> the ArrayBuffer of the 4 MiB chunk of
// the window holding the region (chunks start at file offsets that are
// multiples of mapChunkBytes), for the caller to view with
// Buffer.from(chunk, position % mapChunkBytes, length); null where the
// region crosses a chunk or mapRead would answer null. A chunk's
// ArrayBuffer is made once and kept (the last 1,024 used), so a read
// costs a view: mapRead's Buffer with a finalizer of its own cost about
// 4 µs a read (a weak handle, its finalizer's pass, the prototype set on a
// new object), one read per receive.
//
// The RocketMQ receive path must look inside the records it delivers, so it
// cannot send them with sendfile; it reads them as RocketMQ's broker does,
// from a mapping, and copies each body once, into the answer. pread copied
// every byte into a new buffer first (and was the largest single cost of a
// receive in the broker's own code). A Buffer or chunk holds its window
// until collected, so the bytes stay readable after the file is closed or
// deleted; log files only shrink below what was read in recovery, before
// any read. The window is PROT_READ: the caller never writes to it. A chunk
// may reach past the end of the file: only views checked against the
// file's size (fstat, at each call) are made of it: a view's `.buffer` is
// the whole chunk, and reading, copying or transferring it whole would
// fault (SIGBUS) past the end of the file (mapping.ts mappedView says so).
#include "mapped_read.h"

#include <sys/stat.h>

#include <iterator>
#include <list>
#include <memory>
#include <unordered_map>

#include "map_cache.h"

namespace mqlab {

namespace {

constexpr uint64_t kChunkBytes = uint64_t{4} << 20;
// A chunk let go of is counted by V8 again (Drop), and V8 runs a
// mark-compact for each 64 MiB of them: with 64 kept, a read going on past
// 256 MiB let go of one chunk per 4 MiB read and so started a mark-compact
// per 64 MiB (the protocols scenario's commit-log pulls of 264 MB, read
// three times: 4 a run). 1,024 (4 GiB of a log's windows) are kept, found
// through an index (a read of one of many queues found its chunk far down
// the list).
constexpr size_t kChunksMax = 1024;
static_assert(kMapWindowBytes % kChunkBytes == 0, "chunks tile a window");

/** What a chunk's ArrayBuffer holds: its window, until the buffer is freed; and which chunk of it it is. */
struct ChunkHold {
  std::shared_ptr<MapWindow> window;
  uint64_t index;
};

struct Chunk {
  std::shared_ptr<MapWindow> window;
  uint64_t index;  // chunk number within the window
  napi_env env;
  napi_ref buffer;  // strong: the chunk is freed only once Drop (or the env's teardown) lets go of it
  ChunkHold* hold;  // its buffer's: tells the finalizer which entry is its own
};

struct ChunkKey {
  const MapWindow* window;
  uint64_t index;
  bool operator==(const ChunkKey& o) const { return window == o.window && index == o.index; }
};

struct ChunkKeyHash {
  size_t operator()(const ChunkKey& k) const { return std::hash<const void*>()(k.window) ^ (std::hash<uint64_t>()(k.index) * 0x9e3779b97f4a7c15ull); }
};

// The JavaScript thread's chunks, most recently used first, and where each
// is in that list (each env is a thread of its own).
thread_local std::list<Chunk> t_chunks;
thread_local std::unordered_map<ChunkKey, std::list<Chunk>::iterator, ChunkKeyHash> t_index;

/** Forgets a kept chunk's entry (its reference is the caller's to delete). */
void Erase(std::list<Chunk>::iterator it) {
  t_index.erase(ChunkKey{it->window.get(), it->index});
  t_chunks.erase(it);
}

/**
 * Lets go of a kept chunk. V8 counts its bytes again at once (MapChunk took
 * them off), before the collector frees it and takes them off its count:
 * given back only then, in the finalizer, the count would dip below what
 * V8 holds (its count is unsigned: every allocation after would look like
 * pressure) and a collection freeing more than sixteen dropped chunks
 * would start another as the finalizers gave their bytes back.
 */
void Drop(std::list<Chunk>::iterator it) {
  int64_t ignored = 0;
  napi_adjust_external_memory(it->env, static_cast<int64_t>(kChunkBytes), &ignored);
  napi_delete_reference(it->env, it->buffer);
  Erase(it);
}

/**
 * A chunk's ArrayBuffer freed. One still kept is held strongly, so this
 * meets one only at its env's teardown (Node frees its buffers before this
 * addon's cleanup hook runs): its entry goes here, while the env lives,
 * and the hook finds nothing of it.
 */
void ReleaseChunk(Napi::Env, void*, ChunkHold* hold) {
  const auto found = t_index.find(ChunkKey{hold->window.get(), hold->index});
  if (found != t_index.end() && found->second->hold == hold) {
    napi_delete_reference(found->second->env, found->second->buffer);
    Erase(found->second);
  }
  delete hold;
}

void ReleaseBufferWindow(Napi::Env, uint8_t*, std::shared_ptr<MapWindow>* window) { delete window; }

/** The window holding [position, position + length) of fd, checked against the file's size; null where pread must read it. */
std::shared_ptr<MapWindow> WindowOf(const Napi::CallbackInfo& info, const char* usage, uint64_t* pos, uint64_t* len) {
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber()) {
    Napi::TypeError::New(info.Env(), usage).ThrowAsJavaScriptException();
    return nullptr;
  }
  const int fd = info[0].As<Napi::Number>().Int32Value();
  const double position = info[1].As<Napi::Number>().DoubleValue();
  const double length = info[2].As<Napi::Number>().DoubleValue();
  if (!(position >= 0 && length > 0 && position + length <= 9007199254740991.0)) return nullptr;
  *pos = static_cast<uint64_t>(position);
  *len = static_cast<uint64_t>(length);
  struct stat st;
  if (fstat(fd, &st) != 0 || *pos + *len > static_cast<uint64_t>(st.st_size)) return nullptr;
  if (*pos % kMapWindowBytes + *len > kMapWindowBytes) return nullptr;
  int err = 0;
  return MapWindowFor(fd, st, *pos, &err);
}

Napi::Value MapRead(const Napi::CallbackInfo& info) {
  uint64_t pos = 0, len = 0;
  std::shared_ptr<MapWindow> w = WindowOf(info, "mapRead(fd, position, length)", &pos, &len);
  if (!w) return info.Env().Null();
  uint8_t* bytes = const_cast<uint8_t*>(w->base + pos % kMapWindowBytes);
  return Napi::Buffer<uint8_t>::New(info.Env(), bytes, static_cast<size_t>(len), ReleaseBufferWindow, new std::shared_ptr<MapWindow>(std::move(w)));
}

Napi::Value MapChunk(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t pos = 0, len = 0;
  std::shared_ptr<MapWindow> w = WindowOf(info, "mapChunk(fd, position, length)", &pos, &len);
  if (!w) return env.Null();
  const uint64_t inWindow = pos % kMapWindowBytes;
  const uint64_t index = inWindow / kChunkBytes;
  if ((inWindow + len - 1) / kChunkBytes != index) return env.Null();
  const auto found = t_index.find(ChunkKey{w.get(), index});
  if (found != t_index.end()) {
    // Moved to the front: list iterators stay valid, so the index needs no change.
    if (found->second != t_chunks.begin()) t_chunks.splice(t_chunks.begin(), t_chunks, found->second);
    napi_value value = nullptr;
    napi_get_reference_value(env, found->second->buffer, &value);
    return Napi::Value(env, value);
  }
  void* base = const_cast<uint8_t*>(w->base + index * kChunkBytes);
  auto* hold = new ChunkHold{w, index};
  Napi::ArrayBuffer chunk = Napi::ArrayBuffer::New(env, base, kChunkBytes, ReleaseChunk, hold);
  // V8 counts an ArrayBuffer's bytes as memory the process holds, and starts
  // full collections as that count grows: a chunk is a file's pages in the
  // page cache, not memory of ours, and kept chunks live long, so counted
  // they made a mark-compact for every 64 MB read (sixteen chunks; about 5%
  // of in-process receives' instructions under callgrind). Its bytes are
  // counted again when it is let go of (Drop).
  napi_ref ref = nullptr;
  if (napi_create_reference(env, chunk, 1, &ref) != napi_ok) return chunk;
  int64_t ignored = 0;
  napi_adjust_external_memory(env, -static_cast<int64_t>(kChunkBytes), &ignored);
  t_chunks.push_front(Chunk{std::move(w), index, env, ref, hold});
  t_index.emplace(ChunkKey{t_chunks.front().window.get(), index}, t_chunks.begin());
  // Dropped from here, a chunk stays mapped while a view of it lives.
  if (t_chunks.size() > kChunksMax) Drop(std::prev(t_chunks.end()));
  return chunk;
}

}  // namespace

void ForgetMappedChunks(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return;
  for (auto it = t_chunks.begin(); it != t_chunks.end();) {
    auto next = std::next(it);
    if (it->window->dev == st.st_dev && it->window->ino == st.st_ino) Drop(it);
    it = next;
  }
}

void ClearMappedChunks() {
  while (!t_chunks.empty()) Drop(t_chunks.begin());
}

void InitMappedRead(Napi::Env env, Napi::Object exports) {
  exports.Set("mapRead", Napi::Function::New(env, MapRead, "mapRead"));
  exports.Set("mapChunk", Napi::Function::New(env, MapChunk, "mapChunk"));
  exports.Set("mapChunkBytes", Napi::Number::New(env, static_cast<double>(kChunkBytes)));
}

}  // namespace mqlab
