// libpng behind return codes. libpng reports errors by longjmp; this shim catches them in C so
// that Swift only ever sees a status and a message. Only MTAFNet's Data/PNG.swift includes it.
#ifndef MTAF_PNG_SHIM_H
#define MTAF_PNG_SHIM_H
#include <stddef.h>
#include <stdint.h>

/// How samples are delivered.
typedef enum {
    /// Samples as stored: palette indices stay indices, gray stays gray, 16-bit stays 16-bit
    /// (big-endian pairs). Alpha is kept. Used for label maps.
    MTAF_PNG_RAW = 0,
    /// 8-bit RGB: palettes expanded, gray replicated, alpha dropped, 16-bit reduced.
    MTAF_PNG_RGB8 = 1,
} mtaf_png_mode;

typedef struct {
    uint32_t width;
    uint32_t height;
    uint32_t channels;      // samples per pixel in `pixels`
    uint32_t bytes_per_sample; // 1 or 2
    uint8_t *pixels;        // row-major, malloc'ed; free with mtaf_png_free
} mtaf_png_image;

/// Status codes of mtaf_png_read (0 = success).
enum {
    MTAF_PNG_CANNOT_OPEN = 1,   // fopen failed
    MTAF_PNG_NOT_PNG = 2,       // bad signature
    MTAF_PNG_NO_MEMORY = 3,
    MTAF_PNG_CORRUPT = 4,       // libpng reported an error (bad chunk, CRC, zlib data, ...)
    MTAF_PNG_TOO_LARGE = 5,     // more than max_pixels pixels
    MTAF_PNG_UNSUPPORTED = 6,   // unexpected row layout after the transformations
    MTAF_PNG_TRUNCATED = 7,     // the file ends before the image does
};

/// Reads a PNG file. Returns 0 on success; otherwise one of the codes above and a message in
/// `message`. Images with more than `max_pixels` pixels are refused before any allocation.
int mtaf_png_read(const char *path, mtaf_png_mode mode, uint64_t max_pixels, mtaf_png_image *out,
                  char *message, size_t message_capacity);

/// Frees what mtaf_png_read allocated.
void mtaf_png_free(mtaf_png_image *image);

/// Writes an 8-bit PNG with 1 (gray), 3 (RGB) or 4 (RGBA) channels. Returns 0 on success.
/// `compression_level` is zlib's 0...9, or -1 for libpng's default (level 6, adaptive filters);
/// levels 0...3 also use only the "sub" filter, which makes writing several times faster.
int mtaf_png_write(const char *path, const uint8_t *pixels, uint32_t width, uint32_t height,
                   uint32_t channels, int compression_level, char *message, size_t message_capacity);

/// Encodes an 8-bit PNG with 1, 3 or 4 channels into memory (as mtaf_png_write, without a file).
/// On success (0) `*out` holds `*out_size` malloc'ed bytes; free them with mtaf_png_free_buffer.
int mtaf_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, uint32_t channels,
                    int compression_level, uint8_t **out, size_t *out_size, char *message,
                    size_t message_capacity);

/// Frees what mtaf_png_encode returned.
void mtaf_png_free_buffer(uint8_t *buffer);
#endif
