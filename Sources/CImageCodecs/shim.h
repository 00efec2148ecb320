// libpng and libjpeg(-turbo) from Debian's libpng-dev and libjpeg-dev.
// jpeglib.h needs stdio.h (FILE, size_t) before it.
#ifndef FEDVLM_IMAGE_CODECS_SHIM_H
#define FEDVLM_IMAGE_CODECS_SHIM_H
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <png.h>
#include <jpeglib.h>
#endif
