{
  "targets": [
    {
      "target_name": "mqlab_native",
      "sources": [
        "native/addon.cc",
        "native/counters.cc",
        "native/crc32.cc",
        "native/crc32c.cc",
        "native/mapping.cc",
        "native/map_cache.cc",
        "native/mapped_read.cc",
        "native/rmq_deliveries.cc",
        "native/rmq_acks.cc",
        "native/rmq_scan.cc",
        "native/rmq_send.cc",
        "native/rmq_send_answer.cc",
        "native/send_job.cc",
        "native/send_request.cc",
        "native/socket_write.cc",
        "native/threadpool_send.cc",
        "native/transfer.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
