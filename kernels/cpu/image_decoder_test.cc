// ImageDecoder on hand-built BMP and PNM streams (the formats kiln decodes itself), pixel formats,
// undecodable streams and bad attributes. The library codecs are covered by the backend suite.
#include <string>
#include <vector>

#include "kernels/cpu/kernel_test_util.h"

namespace kiln::test {
namespace {

Tensor Bytes(const std::string& s) {
  std::vector<uint8_t> v(s.begin(), s.end());
  return T_<uint8_t>(v, {static_cast<int64_t>(v.size())});
}

void Put32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
void Put16(std::string& s, size_t at, uint16_t v) {
  s[at] = static_cast<char>(v & 0xFF);
  s[at + 1] = static_cast<char>(v >> 8);
}

// A BMP with a 40-byte info header; `height` negative for top-down; `palette` of BGRA entries.
std::string Bmp(int width, int height, int bpp, const std::string& palette,
                const std::string& pixels) {
  std::string s(54, '\0');
  s[0] = 'B';
  s[1] = 'M';
  Put32(s, 10, static_cast<uint32_t>(54 + palette.size()));
  Put32(s, 14, 40);
  Put32(s, 18, static_cast<uint32_t>(width));
  Put32(s, 22, static_cast<uint32_t>(height));
  Put16(s, 26, 1);
  Put16(s, 28, static_cast<uint16_t>(bpp));
  Put32(s, 46, static_cast<uint32_t>(palette.size() / 4));
  s += palette + pixels;
  Put32(s, 2, static_cast<uint32_t>(s.size()));
  return s;
}

TEST(ImageDecoderTest, Bmp24BottomUpAndBgr) {
  // 2x2, bottom-up: the first stored row is the image's last. Rows pad to 4 bytes.
  std::string px = std::string("\x03\x02\x01\x06\x05\x04", 6) + std::string(2, '\0') +  // row 1
                   std::string("\x09\x08\x07\x0c\x0b\x0a", 6) + std::string(2, '\0');   // row 0
  Tensor y = Run1("ImageDecoder", 20, {Bytes(Bmp(2, 2, 24, "", px))});
  EXPECT_EQ(y.dims(), (Dims{2, 2, 3}));
  EXPECT_EQ(Values<uint8_t>(y), (std::vector<uint8_t>{7, 8, 9, 10, 11, 12, 1, 2, 3, 4, 5, 6}));
  Tensor bgr =
      Run1("ImageDecoder", 20, {Bytes(Bmp(2, 2, 24, "", px))}, {StringAttr("pixel_format", "BGR")});
  EXPECT_EQ(Values<uint8_t>(bgr), (std::vector<uint8_t>{9, 8, 7, 12, 11, 10, 3, 2, 1, 6, 5, 4}));
}

TEST(ImageDecoderTest, BmpPaletteTopDown) {
  // 3x1 4-bit palette image stored top-down: indices 1, 0, 1.
  std::string palette("\x00\x00\xff\x00\x00\xff\x00\x00", 8);  // 0: red, 1: green (BGRA)
  std::string px("\x10\x10\x00\x00", 4);
  Tensor y = Run1("ImageDecoder", 20, {Bytes(Bmp(3, -1, 4, palette, px))});
  EXPECT_EQ(y.dims(), (Dims{1, 3, 3}));
  EXPECT_EQ(Values<uint8_t>(y), (std::vector<uint8_t>{0, 255, 0, 255, 0, 0, 0, 255, 0}));
}

TEST(ImageDecoderTest, PnmVariantsAndGrayscale) {
  // P6 binary RGB; Grayscale is Pillow's fixed-point ITU-R 601-2 luma.
  std::string p6 =
      std::string("P6\n# comment\n2 1\n255\n") + std::string("\xff\x00\x00\x10\x20\x30", 6);
  EXPECT_EQ(Values<uint8_t>(Run1("ImageDecoder", 20, {Bytes(p6)})),
            (std::vector<uint8_t>{255, 0, 0, 16, 32, 48}));
  Tensor g = Run1("ImageDecoder", 20, {Bytes(p6)}, {StringAttr("pixel_format", "Grayscale")});
  EXPECT_EQ(g.dims(), (Dims{1, 2, 1}));
  // 255*19595/65536 = 76.24 -> 76; (16*19595 + 32*38470 + 48*7471)/65536 = 28.97 -> 29.
  EXPECT_EQ(Values<uint8_t>(g), (std::vector<uint8_t>{76, 29}));
  // P2 ASCII gray with maxval 15 scales to 8 bits; gray replicates to RGB.
  Tensor p2 = Run1("ImageDecoder", 20, {Bytes("P2 2 1 15\n0 15\n")});
  EXPECT_EQ(Values<uint8_t>(p2), (std::vector<uint8_t>{0, 0, 0, 255, 255, 255}));
  // P4 packed bitmap: 1 is black.
  Tensor p4 = Run1("ImageDecoder", 20, {Bytes(std::string("P4\n3 1\n", 7) + "\xa0")},
                   {StringAttr("pixel_format", "Grayscale")});
  EXPECT_EQ(Values<uint8_t>(p4), (std::vector<uint8_t>{0, 255, 0}));
  // P5 with 16-bit samples (big-endian).
  Tensor p5 = Run1("ImageDecoder", 20,
                   {Bytes(std::string("P5 1 1 65535\n", 13) + std::string("\xff\xff", 2))},
                   {StringAttr("pixel_format", "Grayscale")});
  EXPECT_EQ(Values<uint8_t>(p5), (std::vector<uint8_t>{255}));
}

TEST(ImageDecoderTest, UndecodableStreamIsEmpty) {
  // The spec: a stream that cannot be decoded gives an empty image.
  const std::string bad_jpeg("\xff\xd8\xff\xe0garbage");
  std::vector<std::string> bad = {std::string("not an image"),
                                  std::string("P6\n2 1\n255\n\x01", 12), std::string("BM\x00", 3)};
#if defined(KILN_TEST_HAVE_JPEG)
  bad.push_back(bad_jpeg);
#else
  // A build without libjpeg cannot tell a broken JPEG from a good one, and says so.
  auto r = RunSingleNode("ImageDecoder", 20, {Bytes(bad_jpeg)}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("this build of kiln has no JPEG decoder"), std::string::npos)
      << r.status().ToString();
#endif
  for (const std::string& b : bad) {
    Tensor y = Run1("ImageDecoder", 20, {Bytes(b)});
    EXPECT_EQ(y.dims(), (Dims{0, 0, 3})) << b;
  }
  Tensor g = Run1("ImageDecoder", 20, {Bytes("junk")}, {StringAttr("pixel_format", "Grayscale")});
  EXPECT_EQ(g.dims(), (Dims{0, 0, 1}));
}

TEST(ImageDecoderTest, BadInputs) {
  Status s =
      RunErr("ImageDecoder", 20, {Bytes("P2 1 1 255 0")}, {StringAttr("pixel_format", "RGBA")});
  EXPECT_NE(s.message().find("pixel_format"), std::string::npos) << s.ToString();
  Status r = RunErr("ImageDecoder", 20, {T_<uint8_t>({1, 2, 3, 4}, {2, 2})});
  EXPECT_NE(r.message().find("1-D uint8"), std::string::npos) << r.ToString();
}

}  // namespace
}  // namespace kiln::test
