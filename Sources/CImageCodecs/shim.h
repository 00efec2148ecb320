// Image and compression codecs from Debian packages:
//   libpng-dev        (png.h)        PNG read/write through libpng's simplified png_image API
//   libturbojpeg0-dev (turbojpeg.h)  JPEG decoding through libjpeg-turbo's TurboJPEG API
//   zlib1g-dev        (zlib.h)       gzip-compressed files (the Fashion-MNIST idx files)
//
// Why TurboJPEG rather than libjpeg's jpeglib.h: libjpeg reports fatal errors through
// error_exit, which must not return (the default calls exit()); the only way out is a
// longjmp, and Swift code can neither setjmp nor be longjmp'd over safely. TurboJPEG does
// the setjmp/longjmp inside the C library and returns -1 with a message instead, so the
// Swift side needs no C code of its own. libpng's png_image API works the same way.
#ifndef FEDVLM_IMAGE_CODECS_SHIM_H
#define FEDVLM_IMAGE_CODECS_SHIM_H
#include <stdio.h>
#include <stdlib.h>
#include <png.h>
#include <turbojpeg.h>
#include <zlib.h>
#endif
