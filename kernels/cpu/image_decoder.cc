// ImageDecoder 20+ (CPU): decodes one encoded image (a 1-D uint8 tensor) into uint8 pixels,
// channel-last (H, W, C), with pixel_format "RGB" (C = 3), "BGR" (C = 3) or "Grayscale" (C = 1).
//
// Formats and who decodes them:
//   BMP (uncompressed 1/4/8-bit palette, 24/32-bit), PNM (P1-P6, maxval up to 65535)  kiln
//   JPEG (libjpeg-turbo: integer IDCT, "fancy" chroma upsampling as the spec describes)
//   PNG (libpng), TIFF (libtiff), WebP (libwebp), JPEG 2000 (OpenJPEG: JP2 files and J2K streams)
// The library codecs are optional at build time (CMake KILN_IMAGE_CODECS, on when found); a format
// whose codec is not built in is an Unsupported error naming the format.
//
// Semantics follow the spec and its reference (Pillow): colour images decode to RGB (alpha is
// dropped), grayscale images are replicated to three channels for RGB/BGR, and Grayscale from a
// colour image is ITU-R 601-2 luma in 16-bit fixed point, L = (19595 R + 38470 G + 7471 B +
// 32768) >> 16, as Pillow's convert("L") computes it. A stream that cannot be decoded (corrupted,
// truncated, unknown format) gives an empty (0, 0, C) tensor, as the spec says.
#include <algorithm>
#include <cctype>
#include <csetjmp>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kernels/cpu/register.h"
#include "kernels/ops/common.h"

#ifdef KILN_HAVE_JPEG
#include <jpeglib.h>

#include <cstdio>  // jpeglib.h needs FILE
#endif
#ifdef KILN_HAVE_PNG
#include <png.h>
#endif
#ifdef KILN_HAVE_TIFF
#include <tiffio.h>
#endif
#ifdef KILN_HAVE_WEBP
#include <webp/decode.h>
#endif
#ifdef KILN_HAVE_OPENJPEG
#include <openjpeg.h>
#endif

namespace kiln::cpu {

using namespace ::kiln::ops;  // the op semantics shared with the CUDA kernels
namespace {

// A decoded image: 1 (gray) or 3 (RGB) interleaved 8-bit channels.
struct Image {
  int64_t height = 0, width = 0;
  int channels = 0;
  std::vector<uint8_t> pixels;
  void Resize(int64_t h, int64_t w, int c) {
    height = h;
    width = w;
    channels = c;
    pixels.assign(static_cast<size_t>(h * w * c), 0);
  }
};

// Result of one decoder: decoded, not decodable (corrupt or truncated: the empty output), or a
// codec that this build lacks (an error).
enum class Decoded { kOk, kCorrupt, kNoCodec };

constexpr int64_t kMaxPixels = int64_t{1} << 28;  // refuses absurd headers before allocating

bool SaneSize(int64_t h, int64_t w) { return h > 0 && w > 0 && h <= kMaxPixels / w; }

// ---------------------------------------------------------------------------------------------
// BMP

uint32_t Le32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | uint32_t{p[3]} << 24; }
uint16_t Le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

Decoded DecodeBmp(const uint8_t* d, size_t n, Image* img) {
  if (n < 54) return Decoded::kCorrupt;
  const uint32_t data_offset = Le32(d + 10);
  const uint32_t header = Le32(d + 14);
  if (header < 40 || 14 + static_cast<size_t>(header) > n) return Decoded::kCorrupt;
  const int64_t width = static_cast<int32_t>(Le32(d + 18));
  const int64_t raw_height = static_cast<int32_t>(Le32(d + 22));
  const int bpp = Le16(d + 28);
  const uint32_t compression = Le32(d + 30);
  uint32_t colors = Le32(d + 46);
  const bool top_down = raw_height < 0;
  const int64_t height = top_down ? -raw_height : raw_height;
  if (!SaneSize(height, width)) return Decoded::kCorrupt;
  // BI_RGB, or BI_BITFIELDS with the standard 32-bit BGRA masks.
  if (compression != 0 && !(compression == 3 && bpp == 32)) return Decoded::kCorrupt;
  if (bpp != 1 && bpp != 4 && bpp != 8 && bpp != 24 && bpp != 32) return Decoded::kCorrupt;
  const uint8_t* palette = nullptr;
  if (bpp <= 8) {
    if (colors == 0) colors = 1u << bpp;
    palette = d + 14 + header;
    if (colors > 256 || 14 + header + 4 * static_cast<size_t>(colors) > n) return Decoded::kCorrupt;
  }
  const size_t row_bytes = ((static_cast<size_t>(width) * bpp + 31) / 32) * 4;
  if (data_offset > n || row_bytes * height > n - data_offset) return Decoded::kCorrupt;
  img->Resize(height, width, 3);
  for (int64_t y = 0; y < height; ++y) {
    const uint8_t* row = d + data_offset + row_bytes * (top_down ? y : height - 1 - y);
    uint8_t* out = img->pixels.data() + y * width * 3;
    for (int64_t x = 0; x < width; ++x, out += 3) {
      if (bpp >= 24) {
        const uint8_t* px = row + x * (bpp / 8);
        out[0] = px[2];
        out[1] = px[1];
        out[2] = px[0];
        continue;
      }
      const int per_byte = 8 / bpp;
      const int shift = 8 - bpp * (1 + static_cast<int>(x % per_byte));
      const uint32_t index = (row[x / per_byte] >> shift) & ((1u << bpp) - 1);
      if (index >= colors) return Decoded::kCorrupt;
      const uint8_t* c = palette + 4 * index;
      out[0] = c[2];
      out[1] = c[1];
      out[2] = c[0];
    }
  }
  return Decoded::kOk;
}

// ---------------------------------------------------------------------------------------------
// PNM (PBM P1/P4, PGM P2/P5, PPM P3/P6)

class PnmReader {
 public:
  PnmReader(const uint8_t* d, size_t n) : d_(d), n_(n) {}
  // The next header or ASCII-raster number; false at the end or on garbage.
  bool Number(int64_t* v) {
    while (pos_ < n_) {
      if (d_[pos_] == '#') {
        while (pos_ < n_ && d_[pos_] != '\n') ++pos_;
      } else if (std::isspace(d_[pos_])) {
        ++pos_;
      } else {
        break;
      }
    }
    if (pos_ >= n_ || !std::isdigit(d_[pos_])) return false;
    *v = 0;
    while (pos_ < n_ && std::isdigit(d_[pos_])) {
      *v = *v * 10 + (d_[pos_++] - '0');
      if (*v > (int64_t{1} << 40)) return false;
    }
    return true;
  }
  // An ASCII PBM pixel: a single 0 or 1, with or without separators.
  bool Bit(int64_t* v) {
    while (pos_ < n_ && std::isspace(d_[pos_])) ++pos_;
    if (pos_ >= n_ || (d_[pos_] != '0' && d_[pos_] != '1')) return false;
    *v = d_[pos_++] - '0';
    return true;
  }
  // Skips the single whitespace byte that ends a binary header.
  bool EndHeader() {
    if (pos_ >= n_ || !std::isspace(d_[pos_])) return false;
    ++pos_;
    return true;
  }
  const uint8_t* here() const { return d_ + pos_; }
  size_t left() const { return n_ - pos_; }

 private:
  const uint8_t* d_;
  size_t n_;
  size_t pos_ = 2;  // after the magic number
};

Decoded DecodePnm(const uint8_t* d, size_t n, Image* img) {
  const int kind = d[1] - '0';  // 1..6
  PnmReader r(d, n);
  int64_t width = 0, height = 0, maxval = 1;
  if (!r.Number(&width) || !r.Number(&height)) return Decoded::kCorrupt;
  const bool bitmap = kind == 1 || kind == 4;
  if (!bitmap && (!r.Number(&maxval) || maxval < 1 || maxval > 65535)) return Decoded::kCorrupt;
  if (!SaneSize(height, width)) return Decoded::kCorrupt;
  const int channels = (kind == 3 || kind == 6) ? 3 : 1;
  const bool binary = kind >= 4;
  if (binary && !r.EndHeader()) return Decoded::kCorrupt;
  img->Resize(height, width, channels);
  const int64_t count = height * width * channels;
  // Scales a sample to 8 bits the way Pillow does for maxval != 255 (rounded).
  auto scale = [maxval](int64_t v) -> uint8_t {
    if (maxval == 255) return static_cast<uint8_t>(v);
    return static_cast<uint8_t>((std::min(v, maxval) * 255 + maxval / 2) / maxval);
  };
  uint8_t* out = img->pixels.data();
  if (kind == 4) {  // packed bits, rows padded to bytes, 1 = black
    const size_t row_bytes = static_cast<size_t>((width + 7) / 8);
    if (r.left() < row_bytes * height) return Decoded::kCorrupt;
    for (int64_t y = 0; y < height; ++y) {
      const uint8_t* row = r.here() + row_bytes * y;
      for (int64_t x = 0; x < width; ++x) {
        *out++ = (row[x / 8] >> (7 - x % 8)) & 1 ? 0 : 255;
      }
    }
  } else if (binary) {
    const int bytes = maxval > 255 ? 2 : 1;
    if (r.left() < static_cast<size_t>(count) * bytes) return Decoded::kCorrupt;
    const uint8_t* p = r.here();
    for (int64_t i = 0; i < count; ++i) {
      const int64_t v = bytes == 2 ? (p[2 * i] << 8 | p[2 * i + 1]) : p[i];
      out[i] = scale(v);
    }
  } else {
    for (int64_t i = 0; i < count; ++i) {
      int64_t v = 0;
      if (!(kind == 1 ? r.Bit(&v) : r.Number(&v))) return Decoded::kCorrupt;
      out[i] = kind == 1 ? (v ? 0 : 255) : scale(v);
    }
  }
  return Decoded::kOk;
}

// ---------------------------------------------------------------------------------------------
// JPEG (libjpeg)

#ifdef KILN_HAVE_JPEG
struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
};

void JpegFail(j_common_ptr cinfo) {
  std::longjmp(reinterpret_cast<JpegError*>(cinfo->err)->jump, 1);
}
void JpegQuiet(j_common_ptr, int) {}

Decoded DecodeJpeg(const uint8_t* d, size_t n, Image* img) {
  jpeg_decompress_struct cinfo;
  JpegError err;
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = JpegFail;
  err.mgr.emit_message = JpegQuiet;
  // Nothing with a destructor lives between setjmp and a longjmp: rows go straight into `img`,
  // whose buffer is allocated before the jump point can be taken from inside libjpeg.
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return Decoded::kCorrupt;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, d, static_cast<unsigned long>(n));
  if (jpeg_read_header(&cinfo, TRUE) != JPEG_HEADER_OK) {
    jpeg_destroy_decompress(&cinfo);
    return Decoded::kCorrupt;
  }
  const bool gray = cinfo.num_components == 1;
  cinfo.out_color_space = gray ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  const int64_t h = cinfo.output_height, w = cinfo.output_width;
  if (!SaneSize(h, w) || cinfo.output_components != (gray ? 1 : 3)) {
    jpeg_destroy_decompress(&cinfo);
    return Decoded::kCorrupt;
  }
  img->Resize(h, w, gray ? 1 : 3);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row =
        img->pixels.data() + static_cast<size_t>(cinfo.output_scanline) * w * img->channels;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return Decoded::kOk;
}
#endif

// ---------------------------------------------------------------------------------------------
// PNG (libpng's simplified API: any bit depth, palette or alpha, composited to 8-bit RGB / gray)

#ifdef KILN_HAVE_PNG
Decoded DecodePng(const uint8_t* d, size_t n, Image* img) {
  png_image pi;
  std::memset(&pi, 0, sizeof(pi));
  pi.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&pi, d, n)) return Decoded::kCorrupt;
  const bool gray = (pi.format & PNG_FORMAT_FLAG_COLOR) == 0;
  // Read with an alpha channel, then drop it: the colour samples are kept as stored, as Pillow's
  // and OpenCV's RGB conversions do (libpng would otherwise composite them onto black).
  pi.format = gray ? PNG_FORMAT_GA : PNG_FORMAT_RGBA;
  const int stored = gray ? 2 : 4, kept = gray ? 1 : 3;
  if (!SaneSize(pi.height, pi.width)) {
    png_image_free(&pi);
    return Decoded::kCorrupt;
  }
  std::vector<uint8_t> buf(PNG_IMAGE_SIZE(pi));
  if (!png_image_finish_read(&pi, nullptr, buf.data(), 0, nullptr)) {
    png_image_free(&pi);
    return Decoded::kCorrupt;
  }
  img->Resize(pi.height, pi.width, kept);
  const int64_t count = img->height * img->width;
  for (int64_t i = 0; i < count; ++i) {
    for (int c = 0; c < kept; ++c) img->pixels[i * kept + c] = buf[i * stored + c];
  }
  return Decoded::kOk;
}
#endif

// ---------------------------------------------------------------------------------------------
// TIFF (libtiff, read from memory through client procedures)

#ifdef KILN_HAVE_TIFF
struct TiffMem {
  const uint8_t* d;
  toff_t n, pos;
};

tsize_t TiffRead(thandle_t h, tdata_t buf, tsize_t size) {
  auto* m = static_cast<TiffMem*>(h);
  const toff_t left = m->pos < m->n ? m->n - m->pos : 0;
  const toff_t k = std::min<toff_t>(left, static_cast<toff_t>(size));
  std::memcpy(buf, m->d + m->pos, k);
  m->pos += k;
  return static_cast<tsize_t>(k);
}
tsize_t TiffWrite(thandle_t, tdata_t, tsize_t) { return -1; }
toff_t TiffSeek(thandle_t h, toff_t off, int whence) {
  auto* m = static_cast<TiffMem*>(h);
  toff_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : m->n;
  m->pos = base + off;
  return m->pos;
}
int TiffClose(thandle_t) { return 0; }
toff_t TiffSize(thandle_t h) { return static_cast<TiffMem*>(h)->n; }
int TiffMap(thandle_t, tdata_t*, toff_t*) { return 0; }
void TiffUnmap(thandle_t, tdata_t, toff_t) {}

Decoded DecodeTiff(const uint8_t* d, size_t n, Image* img) {
  TIFFSetErrorHandler(nullptr);
  TIFFSetWarningHandler(nullptr);
  TiffMem mem{d, static_cast<toff_t>(n), 0};
  TIFF* t = TIFFClientOpen("memory", "rm", &mem, TiffRead, TiffWrite, TiffSeek, TiffClose, TiffSize,
                           TiffMap, TiffUnmap);
  if (t == nullptr) return Decoded::kCorrupt;
  uint32_t w = 0, h = 0;
  uint16_t spp = 1;
  TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
  TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
  TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &spp);
  if (!SaneSize(h, w)) {
    TIFFClose(t);
    return Decoded::kCorrupt;
  }
  std::vector<uint32_t> rgba(static_cast<size_t>(w) * h);
  if (!TIFFReadRGBAImageOriented(t, w, h, rgba.data(), ORIENTATION_TOPLEFT, 0)) {
    TIFFClose(t);
    return Decoded::kCorrupt;
  }
  TIFFClose(t);
  const bool gray = spp == 1;
  img->Resize(h, w, gray ? 1 : 3);
  for (size_t i = 0; i < rgba.size(); ++i) {
    if (gray) {
      img->pixels[i] = static_cast<uint8_t>(TIFFGetR(rgba[i]));
    } else {
      img->pixels[3 * i] = static_cast<uint8_t>(TIFFGetR(rgba[i]));
      img->pixels[3 * i + 1] = static_cast<uint8_t>(TIFFGetG(rgba[i]));
      img->pixels[3 * i + 2] = static_cast<uint8_t>(TIFFGetB(rgba[i]));
    }
  }
  return Decoded::kOk;
}
#endif

// ---------------------------------------------------------------------------------------------
// WebP (libwebp)

#ifdef KILN_HAVE_WEBP
Decoded DecodeWebp(const uint8_t* d, size_t n, Image* img) {
  int w = 0, h = 0;
  if (!WebPGetInfo(d, n, &w, &h) || !SaneSize(h, w)) return Decoded::kCorrupt;
  img->Resize(h, w, 3);
  if (WebPDecodeRGBInto(d, n, img->pixels.data(), img->pixels.size(), w * 3) == nullptr) {
    return Decoded::kCorrupt;
  }
  return Decoded::kOk;
}
#endif

// ---------------------------------------------------------------------------------------------
// JPEG 2000 (OpenJPEG, read from memory)

#ifdef KILN_HAVE_OPENJPEG
struct OpjMem {
  const uint8_t* d;
  OPJ_SIZE_T n, pos;
};

OPJ_SIZE_T OpjRead(void* buf, OPJ_SIZE_T size, void* user) {
  auto* m = static_cast<OpjMem*>(user);
  if (m->pos >= m->n) return static_cast<OPJ_SIZE_T>(-1);
  const OPJ_SIZE_T k = std::min(size, m->n - m->pos);
  std::memcpy(buf, m->d + m->pos, k);
  m->pos += k;
  return k;
}
OPJ_OFF_T OpjSkip(OPJ_OFF_T k, void* user) {
  auto* m = static_cast<OpjMem*>(user);
  const OPJ_OFF_T room = static_cast<OPJ_OFF_T>(m->n - m->pos);
  k = std::max<OPJ_OFF_T>(-static_cast<OPJ_OFF_T>(m->pos), std::min(k, room));
  m->pos += k;
  return k;
}
OPJ_BOOL OpjSeek(OPJ_OFF_T k, void* user) {
  auto* m = static_cast<OpjMem*>(user);
  if (k < 0 || static_cast<OPJ_SIZE_T>(k) > m->n) return OPJ_FALSE;
  m->pos = static_cast<OPJ_SIZE_T>(k);
  return OPJ_TRUE;
}
void OpjQuiet(const char*, void*) {}

Decoded DecodeJpeg2000(const uint8_t* d, size_t n, bool jp2, Image* img) {
  OpjMem mem{d, n, 0};
  opj_stream_t* stream = opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_TRUE);
  opj_stream_set_user_data(stream, &mem, nullptr);
  opj_stream_set_user_data_length(stream, n);
  opj_stream_set_read_function(stream, OpjRead);
  opj_stream_set_skip_function(stream, OpjSkip);
  opj_stream_set_seek_function(stream, OpjSeek);
  opj_codec_t* codec = opj_create_decompress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
  opj_set_error_handler(codec, OpjQuiet, nullptr);
  opj_set_warning_handler(codec, OpjQuiet, nullptr);
  opj_set_info_handler(codec, OpjQuiet, nullptr);
  opj_dparameters_t params;
  opj_set_default_decoder_parameters(&params);
  opj_image_t* image = nullptr;
  Decoded result = Decoded::kCorrupt;
  if (opj_setup_decoder(codec, &params) && opj_read_header(stream, codec, &image) &&
      opj_decode(codec, stream, image) && opj_end_decompress(codec, stream)) {
    const int nc = image->numcomps >= 3 ? 3 : 1;
    const opj_image_comp_t* c0 = &image->comps[0];
    bool ok = image->numcomps >= 1 && SaneSize(c0->h, c0->w);
    for (int c = 0; ok && c < nc; ++c) {
      const opj_image_comp_t& comp = image->comps[c];
      ok = comp.w == c0->w && comp.h == c0->h && comp.dx == 1 && comp.dy == 1 && comp.prec >= 1 &&
           comp.prec <= 16 && comp.data != nullptr;
    }
    if (ok) {
      img->Resize(c0->h, c0->w, nc);
      const int64_t count = static_cast<int64_t>(c0->h) * c0->w;
      for (int c = 0; c < nc; ++c) {
        const opj_image_comp_t& comp = image->comps[c];
        const int64_t lo = comp.sgnd ? -(int64_t{1} << (comp.prec - 1)) : 0;
        const int64_t hi = (int64_t{1} << comp.prec) - 1;
        for (int64_t i = 0; i < count; ++i) {
          int64_t v = static_cast<int64_t>(comp.data[i]) - lo;  // to unsigned range
          v = std::clamp<int64_t>(v, 0, hi);
          if (comp.prec > 8) v >>= (comp.prec - 8);
          if (comp.prec < 8) v = (v * 255 + hi / 2) / hi;
          img->pixels[i * nc + c] = static_cast<uint8_t>(v);
        }
      }
      result = Decoded::kOk;
    }
  }
  if (image != nullptr) opj_image_destroy(image);
  opj_destroy_codec(codec);
  opj_stream_destroy(stream);
  return result;
}
#endif

// ---------------------------------------------------------------------------------------------

enum class Format { kUnknown, kBmp, kPnm, kJpeg, kPng, kTiff, kWebp, kJp2, kJ2k };

Format Sniff(const uint8_t* d, size_t n) {
  auto starts = [&](const char* magic, size_t len) {
    return n >= len && std::memcmp(d, magic, len) == 0;
  };
  if (starts("BM", 2)) return Format::kBmp;
  if (n >= 3 && d[0] == 'P' && d[1] >= '1' && d[1] <= '6' && std::isspace(d[2])) {
    return Format::kPnm;
  }
  if (starts("\xFF\xD8\xFF", 3)) return Format::kJpeg;
  if (starts("\x89PNG\r\n\x1A\n", 8)) return Format::kPng;
  if (starts("II*\0", 4) || starts("MM\0*", 4)) return Format::kTiff;
  if (n >= 12 && starts("RIFF", 4) && std::memcmp(d + 8, "WEBP", 4) == 0) return Format::kWebp;
  if (starts("\0\0\0\x0CjP  \r\n\x87\n", 12)) return Format::kJp2;
  if (starts("\xFF\x4F\xFF\x51", 4)) return Format::kJ2k;
  return Format::kUnknown;
}

const char* FormatName(Format f) {
  switch (f) {
    case Format::kBmp:
      return "BMP";
    case Format::kPnm:
      return "PNM";
    case Format::kJpeg:
      return "JPEG";
    case Format::kPng:
      return "PNG";
    case Format::kTiff:
      return "TIFF";
    case Format::kWebp:
      return "WebP";
    case Format::kJp2:
    case Format::kJ2k:
      return "JPEG 2000";
    default:
      return "unknown";
  }
}

Decoded Decode(Format f, const uint8_t* d, size_t n, Image* img) {
  switch (f) {
    case Format::kBmp:
      return DecodeBmp(d, n, img);
    case Format::kPnm:
      return DecodePnm(d, n, img);
#ifdef KILN_HAVE_JPEG
    case Format::kJpeg:
      return DecodeJpeg(d, n, img);
#endif
#ifdef KILN_HAVE_PNG
    case Format::kPng:
      return DecodePng(d, n, img);
#endif
#ifdef KILN_HAVE_TIFF
    case Format::kTiff:
      return DecodeTiff(d, n, img);
#endif
#ifdef KILN_HAVE_WEBP
    case Format::kWebp:
      return DecodeWebp(d, n, img);
#endif
#ifdef KILN_HAVE_OPENJPEG
    case Format::kJp2:
      return DecodeJpeg2000(d, n, true, img);
    case Format::kJ2k:
      return DecodeJpeg2000(d, n, false, img);
#endif
    case Format::kUnknown:
      return Decoded::kCorrupt;
    default:
      return Decoded::kNoCodec;
  }
}

enum class PixelFormat { kRgb, kBgr, kGray };

class ImageDecoderKernel : public Kernel {
 public:
  explicit ImageDecoderKernel(PixelFormat pf) : pf_(pf) {}

  Status Run(KernelContext& ctx) const override {
    const Tensor& x = *ctx.Input(0);
    if (x.dtype() != DataType::kUint8 || x.rank() != 1) {
      return ctx.InvalidArgument("encoded_stream must be a 1-D uint8 tensor, got " +
                                 x.TypeString());
    }
    const int out_c = pf_ == PixelFormat::kGray ? 1 : 3;
    const uint8_t* d = x.data<uint8_t>();
    const size_t n = static_cast<size_t>(x.numel());
    const Format f = Sniff(d, n);
    Image img;
    const Decoded r = Decode(f, d, n, &img);
    if (r == Decoded::kNoCodec) {
      return ctx.Unsupported(std::string("this build of kiln has no ") + FormatName(f) +
                             " decoder (configure with KILN_IMAGE_CODECS=ON and the codec "
                             "library installed)");
    }
    if (r == Decoded::kCorrupt) {  // the spec's answer to an undecodable stream: an empty image
      KILN_ASSIGN_OR_RETURN(Tensor * y, ctx.Output(0, DataType::kUint8, {0, 0, out_c}));
      (void)y;
      return Status::Ok();
    }
    KILN_ASSIGN_OR_RETURN(Tensor * y,
                          ctx.Output(0, DataType::kUint8, {img.height, img.width, out_c}));
    uint8_t* out = y->data<uint8_t>();
    const uint8_t* in = img.pixels.data();
    const int64_t count = img.height * img.width;
    if (img.channels == 1) {
      for (int64_t i = 0; i < count; ++i) {
        for (int c = 0; c < out_c; ++c) out[i * out_c + c] = in[i];
      }
    } else if (pf_ == PixelFormat::kGray) {
      for (int64_t i = 0; i < count; ++i) {
        const uint32_t l = 19595u * in[3 * i] + 38470u * in[3 * i + 1] + 7471u * in[3 * i + 2];
        out[i] = static_cast<uint8_t>((l + 0x8000u) >> 16);
      }
    } else if (pf_ == PixelFormat::kBgr) {
      for (int64_t i = 0; i < count; ++i) {
        out[3 * i] = in[3 * i + 2];
        out[3 * i + 1] = in[3 * i + 1];
        out[3 * i + 2] = in[3 * i];
      }
    } else {
      std::memcpy(out, in, static_cast<size_t>(count) * 3);
    }
    return Status::Ok();
  }

 private:
  PixelFormat pf_;
};

StatusOr<std::unique_ptr<Kernel>> ImageDecoderFactory(const KernelInfo& info) {
  const std::string pf = info.GetString("pixel_format", "RGB");
  KILN_RETURN_IF_ERROR(info.status());
  PixelFormat p;
  if (pf == "RGB") {
    p = PixelFormat::kRgb;
  } else if (pf == "BGR") {
    p = PixelFormat::kBgr;
  } else if (pf == "Grayscale") {
    p = PixelFormat::kGray;
  } else {
    return info.InvalidModel("attribute 'pixel_format' must be RGB, BGR or Grayscale, got '" + pf +
                             "'");
  }
  return std::unique_ptr<Kernel>(new ImageDecoderKernel(p));
}

}  // namespace

void RegisterImageDecoderKernels(KernelRegistry& r) {
  r.Register(KernelDef("ImageDecoder").Opsets(20).Types("T1", {0}, {DataType::kUint8}),
             ImageDecoderFactory);
}

}  // namespace kiln::cpu
