#include "jpeg_shim.h"
#include <stdio.h>
#include <jpeglib.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char *message;
    size_t capacity;
} error_manager;

static void on_error_exit(j_common_ptr info) {
    error_manager *manager = (error_manager *)info->err;
    char text[JMSG_LENGTH_MAX];
    (*info->err->format_message)(info, text);
    snprintf(manager->message, manager->capacity, "%s", text);
    longjmp(manager->jump, 1);
}

static void on_output_message(j_common_ptr info) { (void)info; }

/* libjpeg reports damaged data (a truncated file, a corrupt entropy-coded segment) as warnings
   and fills the missing part with gray; such a warning fails the decode like an error, so a
   damaged image is never scored or trained on. Other warnings (an unknown JFIF revision, an
   Adobe transform code, a bad ICC marker: metadata only) and trace messages pass. */
static int is_damage_warning(int code) {
    switch (code) {
    case JWRN_JPEG_EOF: case JWRN_HIT_MARKER: case JWRN_EXTRANEOUS_DATA: case JWRN_HUFF_BAD_CODE:
    case JWRN_ARITH_BAD_CODE: case JWRN_MUST_RESYNC: case JWRN_NOT_SEQUENTIAL: case JWRN_BOGUS_PROGRESSION:
        return 1;
    default:
        return 0;
    }
}

static void on_emit_message(j_common_ptr info, int level) {
    if (level < 0 && is_damage_warning(info->err->msg_code)) on_error_exit(info);
    if (level < 0) info->err->num_warnings++;
}

int mtaf_jpeg_read_rgb(const char *path, uint64_t max_pixels, mtaf_jpeg_image *out, char *message,
                       size_t message_capacity) {
    memset(out, 0, sizeof(*out));
    FILE *file = fopen(path, "rb");
    if (!file) {
        snprintf(message, message_capacity, "cannot open file");
        return 1;
    }
    struct jpeg_decompress_struct info;
    error_manager errors;
    info.err = jpeg_std_error(&errors.base);
    errors.base.error_exit = on_error_exit;
    errors.base.output_message = on_output_message;
    errors.base.emit_message = on_emit_message;
    errors.message = message;
    errors.capacity = message_capacity;
    uint8_t *volatile pixels = NULL;
    if (setjmp(errors.jump)) {
        jpeg_destroy_decompress(&info);
        fclose(file);
        free(pixels);
        return 2;
    }
    jpeg_create_decompress(&info);
    jpeg_stdio_src(&info, file);
    jpeg_read_header(&info, TRUE);
    info.out_color_space = JCS_RGB;
    jpeg_start_decompress(&info);
    if ((uint64_t)info.output_width * info.output_height > max_pixels || info.output_components != 3) {
        snprintf(message, message_capacity, "image of %ux%u pixels, %d components, refused",
                 (unsigned)info.output_width, (unsigned)info.output_height, info.output_components);
        jpeg_destroy_decompress(&info);
        fclose(file);
        return 3;
    }
    size_t row_bytes = (size_t)info.output_width * 3;
    pixels = malloc(row_bytes * info.output_height + 1);
    if (!pixels) {
        snprintf(message, message_capacity, "out of memory");
        jpeg_destroy_decompress(&info);
        fclose(file);
        return 4;
    }
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = pixels + (size_t)info.output_scanline * row_bytes;
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    out->width = info.output_width;
    out->height = info.output_height;
    out->pixels = pixels;
    jpeg_destroy_decompress(&info);
    fclose(file);
    return 0;
}

void mtaf_jpeg_free(mtaf_jpeg_image *image) {
    free(image->pixels);
    image->pixels = NULL;
}
