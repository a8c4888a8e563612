#include "png_shim.h"
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    jmp_buf jump;
    char *message;
    size_t capacity;
    FILE *file;               // the reader's source (NULL when writing)
    volatile int truncated;   // set by read_data when the file ends early
} error_context;

static void on_error(png_structp png, png_const_charp text) {
    error_context *context = (error_context *)png_get_error_ptr(png);
    snprintf(context->message, context->capacity, "%s", text);
    longjmp(context->jump, 1);
}

static void on_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

// Our own read callback, so that a file that ends early is told apart from corrupt data.
static void read_data(png_structp png, png_bytep data, size_t length) {
    error_context *context = (error_context *)png_get_io_ptr(png);
    if (fread(data, 1, length, context->file) != length) {
        if (feof(context->file)) {
            context->truncated = 1;
            png_error(png, "unexpected end of file");
        }
        png_error(png, "read error");
    }
}

int mtaf_png_read(const char *path, mtaf_png_mode mode, uint64_t max_pixels, mtaf_png_image *out,
                  char *message, size_t message_capacity) {
    memset(out, 0, sizeof(*out));
    FILE *file = fopen(path, "rb");
    if (!file) {
        snprintf(message, message_capacity, "cannot open file");
        return MTAF_PNG_CANNOT_OPEN;
    }
    unsigned char signature[8];
    size_t signature_bytes = fread(signature, 1, 8, file);
    if (signature_bytes != 8 || png_sig_cmp(signature, 0, 8) != 0) {
        fclose(file);
        if (signature_bytes > 0 && signature_bytes < 8 && png_sig_cmp(signature, 0, signature_bytes) == 0) {
            snprintf(message, message_capacity, "unexpected end of file in the signature");
            return MTAF_PNG_TRUNCATED;
        }
        snprintf(message, message_capacity, "not a PNG file (bad signature)");
        return MTAF_PNG_NOT_PNG;
    }
    error_context context = {.message = message, .capacity = message_capacity, .file = file, .truncated = 0};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &context, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(file);
        snprintf(message, message_capacity, "out of memory creating the PNG reader");
        return MTAF_PNG_NO_MEMORY;
    }
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    if (setjmp(context.jump)) {
        free(pixels);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        fclose(file);
        return context.truncated ? MTAF_PNG_TRUNCATED : MTAF_PNG_CORRUPT;
    }
    png_set_read_fn(png, &context, read_data);
    png_set_sig_bytes(png, 8);
    png_read_info(png, info);
    png_uint_32 width = png_get_image_width(png, info);
    png_uint_32 height = png_get_image_height(png, info);
    if ((uint64_t)width * (uint64_t)height > max_pixels) {
        snprintf(message, message_capacity, "image of %ux%u pixels exceeds the limit of %llu",
                 (unsigned)width, (unsigned)height, (unsigned long long)max_pixels);
        png_destroy_read_struct(&png, &info, NULL);
        fclose(file);
        return MTAF_PNG_TOO_LARGE;
    }
    int color = png_get_color_type(png, info);
    int depth = png_get_bit_depth(png, info);
    if (mode == MTAF_PNG_RGB8) {
        if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
        if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
        if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(png);
        if (depth == 16) png_set_strip_16(png);
        png_set_strip_alpha(png);
    } else if (depth < 8) {
        png_set_packing(png);
    }
    // Adam7 files: png_read_image assembles the passes only with interlace handling on.
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    uint32_t channels = png_get_channels(png, info);
    uint32_t bytes_per_sample = png_get_bit_depth(png, info) == 16 ? 2 : 1;
    size_t row_bytes = png_get_rowbytes(png, info);
    if (row_bytes != (size_t)width * channels * bytes_per_sample) {
        snprintf(message, message_capacity, "unexpected row size %zu", row_bytes);
        png_destroy_read_struct(&png, &info, NULL);
        fclose(file);
        return MTAF_PNG_UNSUPPORTED;
    }
    pixels = malloc(row_bytes * height + 1);
    rows = malloc(sizeof(png_bytep) * (height + 1));
    if (!pixels || !rows) {
        free(pixels);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        fclose(file);
        snprintf(message, message_capacity, "out of memory for %ux%u pixels", (unsigned)width, (unsigned)height);
        return MTAF_PNG_NO_MEMORY;
    }
    for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + y * row_bytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(file);
    free(rows);
    out->width = width;
    out->height = height;
    out->channels = channels;
    out->bytes_per_sample = bytes_per_sample;
    out->pixels = pixels;
    return 0;
}

void mtaf_png_free(mtaf_png_image *image) {
    free(image->pixels);
    image->pixels = NULL;
}

// Where an encoded PNG goes: a FILE (png_init_io) or a growing malloc'ed buffer.
typedef struct {
    uint8_t *data;
    size_t size;
    size_t capacity;
    int failed;               // set when growing the buffer failed
} memory_sink;

static void write_memory(png_structp png, png_bytep data, size_t length) {
    memory_sink *sink = (memory_sink *)png_get_io_ptr(png);
    if (sink->size + length > sink->capacity) {
        size_t capacity = sink->capacity ? sink->capacity : 4096;
        while (capacity < sink->size + length) capacity *= 2;
        uint8_t *grown = realloc(sink->data, capacity);
        if (!grown) {
            sink->failed = 1;
            png_error(png, "out of memory growing the PNG buffer");
        }
        sink->data = grown;
        sink->capacity = capacity;
    }
    memcpy(sink->data + sink->size, data, length);
    sink->size += length;
}

static void flush_memory(png_structp png) { (void)png; }

// The encoder shared by mtaf_png_write (file != NULL) and mtaf_png_encode (sink != NULL).
// Returns 0, or 1 (channels), 3 (memory), 4 (libpng error).
static int encode(FILE *file, memory_sink *sink, const uint8_t *pixels, uint32_t width, uint32_t height,
                  uint32_t channels, int compression_level, char *message, size_t message_capacity) {
    int color;
    switch (channels) {
    case 1: color = PNG_COLOR_TYPE_GRAY; break;
    case 3: color = PNG_COLOR_TYPE_RGB; break;
    case 4: color = PNG_COLOR_TYPE_RGB_ALPHA; break;
    default:
        snprintf(message, message_capacity, "unsupported channel count %u", channels);
        return 1;
    }
    error_context context = {.message = message, .capacity = message_capacity};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &context, on_error, on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        snprintf(message, message_capacity, "out of memory creating the PNG writer");
        return 3;
    }
    if (setjmp(context.jump)) {
        png_destroy_write_struct(&png, &info);
        return 4;
    }
    if (file) {
        png_init_io(png, file);
    } else {
        png_set_write_fn(png, sink, write_memory, flush_memory);
    }
    if (compression_level >= 0 && compression_level <= 9) {
        png_set_compression_level(png, compression_level);
        if (compression_level <= 3) png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
    }
    png_set_IHDR(png, info, width, height, 8, color, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (uint32_t y = 0; y < height; y++) png_write_row(png, (png_const_bytep)(pixels + (size_t)y * width * channels));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 0;
}

int mtaf_png_write(const char *path, const uint8_t *pixels, uint32_t width, uint32_t height,
                   uint32_t channels, int compression_level, char *message, size_t message_capacity) {
    if (channels != 1 && channels != 3 && channels != 4) {
        snprintf(message, message_capacity, "unsupported channel count %u", channels);
        return 1;
    }
    FILE *file = fopen(path, "wb");
    if (!file) {
        snprintf(message, message_capacity, "cannot create file");
        return 2;
    }
    int status = encode(file, NULL, pixels, width, height, channels, compression_level, message, message_capacity);
    if (status != 0) {
        fclose(file);
        return status;
    }
    if (fclose(file) != 0) {
        snprintf(message, message_capacity, "error closing the file");
        return 5;
    }
    return 0;
}

int mtaf_png_encode(const uint8_t *pixels, uint32_t width, uint32_t height, uint32_t channels,
                    int compression_level, uint8_t **out, size_t *out_size, char *message,
                    size_t message_capacity) {
    *out = NULL;
    *out_size = 0;
    memory_sink sink = {.data = NULL, .size = 0, .capacity = 0, .failed = 0};
    int status = encode(NULL, &sink, pixels, width, height, channels, compression_level, message, message_capacity);
    if (status != 0) {
        free(sink.data);
        return sink.failed ? 3 : status;
    }
    *out = sink.data;
    *out_size = sink.size;
    return 0;
}

void mtaf_png_free_buffer(uint8_t *buffer) { free(buffer); }
