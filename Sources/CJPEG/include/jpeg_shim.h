// libjpeg behind return codes: its errors arrive through error_exit, which this shim turns into a
// longjmp back into C, so Swift only sees a status and a message; warnings that mean damaged data
// (premature end, corrupt segments) take the same path. Only Data/JPEG.swift includes it.
#ifndef MTAF_JPEG_SHIM_H
#define MTAF_JPEG_SHIM_H
#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t width;
    uint32_t height;
    uint8_t *pixels;  // row-major RGB8, malloc'ed; free with mtaf_jpeg_free
} mtaf_jpeg_image;

/// Decodes a JPEG file to 8-bit RGB with libjpeg's defaults (what PIL's "RGB" conversion of a
/// JPEG gives with the same library). Returns 0 on success; otherwise non-zero and a message, also
/// for a truncated or corrupt file that libjpeg itself would only warn about.
/// Images with more than `max_pixels` pixels are refused before the pixel buffer is allocated.
int mtaf_jpeg_read_rgb(const char *path, uint64_t max_pixels, mtaf_jpeg_image *out, char *message,
                       size_t message_capacity);

/// Frees what mtaf_jpeg_read_rgb allocated.
void mtaf_jpeg_free(mtaf_jpeg_image *image);
#endif
