#include "map_cache.h"

#include <sys/mman.h>
#include <cerrno>
#include <list>

namespace mqlab {

namespace {
// Most recently used first. Small (kMapWindowsMax), so a linear scan is fine.
thread_local std::list<std::shared_ptr<MapWindow>> t_windows;
}  // namespace

MapWindow::~MapWindow() {
  if (base != nullptr) {
    munmap(const_cast<uint8_t*>(base), kMapWindowBytes);
    CountersFor(kMmap).syscalls[kSysMunmap]++;
  }
}

std::shared_ptr<MapWindow> MapWindowFor(int fd, const struct stat& st, uint64_t position, int* err) {
  const uint64_t index = position / kMapWindowBytes;
  for (auto it = t_windows.begin(); it != t_windows.end(); ++it) {
    const auto& w = *it;
    if (w->dev == st.st_dev && w->ino == st.st_ino && w->index == index) {
      if (it != t_windows.begin()) t_windows.splice(t_windows.begin(), t_windows, it);
      return w;
    }
  }
  CountersFor(kMmap).syscalls[kSysMmap]++;
  void* p = mmap(nullptr, kMapWindowBytes, PROT_READ, MAP_SHARED, fd,
                 static_cast<off_t>(index * kMapWindowBytes));
  if (p == MAP_FAILED) {
    *err = errno;
    return nullptr;
  }
  auto w = std::make_shared<MapWindow>();
  w->base = static_cast<const uint8_t*>(p);
  w->dev = st.st_dev;
  w->ino = st.st_ino;
  w->index = index;
  t_windows.push_front(w);
  if (t_windows.size() > kMapWindowsMax) t_windows.pop_back();
  return w;
}

void MapCacheForget(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return;
  t_windows.remove_if([&](const std::shared_ptr<MapWindow>& w) {
    return w->dev == st.st_dev && w->ino == st.st_ino;
  });
}

void MapCacheClear() { t_windows.clear(); }

size_t MapCacheSize() { return t_windows.size(); }

}  // namespace mqlab
