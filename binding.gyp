{
  "targets": [
    {
      "target_name": "posix_aio",
      "sources": [
        "native/addon.cc",
        "native/args.cc",
        "native/batch.cc",
        "native/block_wrap.cc",
        "native/blocking.cc",
        "native/control_block.cc",
        "native/delivery.cc",
        "native/engines.cc",
        "native/pool_work.cc",
        "native/engine_threadpool.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "NAPI_CPP_EXCEPTIONS",
        # A call from JS into the addon while its worker is being terminated
        # can fail; without this, node-addon-api rethrows the error it cannot
        # hand to JS and the process aborts (std::terminate).
        "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"
      ],
      "cflags": ["-fvisibility=hidden", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-fvisibility=hidden"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "MACOSX_DEPLOYMENT_TARGET": "10.15"
      },
      "conditions": [
        ["OS=='linux'", {
          "sources": ["native/engine_posix.cc", "native/engine_uring.cc", "native/uring_ring.cc",
                      "native/uring_chain.cc"],
          "defines": ["AIO_HAVE_POSIX_AIO", "AIO_HAVE_URING"],
          "libraries": ["-lrt"]
        }],
        ["OS=='mac' or OS=='freebsd'", {
          "sources": ["native/engine_posix.cc"],
          "defines": ["AIO_HAVE_POSIX_AIO"]
        }]
      ]
    }
  ]
}
