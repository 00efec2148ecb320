#!/usr/bin/env python3
"""Writes the image fixtures of Tests/DatasetsTests (IOImageCodecTests, IOPreprocessingTests).

Outputs, all under Tests/DatasetsTests/Fixtures/ (a few KB in total):
  images/*.png      tiny PNGs written byte by byte with zlib, so every pixel value is known
                    exactly: gray, gray+alpha, RGB, RGBA, palette+tRNS, 16-bit gray, 16-bit RGBA,
                    1-bit gray, Adam7-interlaced RGB
  images/*.jpg      tiny JPEGs written by Pillow (gray and RGB, flat 8x8 blocks, quality 95, 4:4:4)
  images/bad_*      a truncated PNG, a PNG with a damaged IDAT (broken CRC), a JPEG cut inside its
                    scan data, a text file
  image_fixtures.json   for each good file: channels, height, width, the expected 8-bit values
                        (channels-first) and a tolerance in 8-bit levels (0 for PNG; for JPEG the
                        values are Pillow's own decode of the file, tolerance 1)
  resize_fixtures.json  Pillow "F"-mode (float32) resizes of a 5x7 ramp with BILINEAR and
                        BICUBIC, shrinking and enlarging, for ImagePreprocessing.resized

Run from the repository root:  python3 Tests/Fixtures/make_dataset_io_fixtures.py
Needs: Python 3, zlib (standard library), Pillow (pip install pillow) for the JPEGs and resizes.
"""
import json
import os
import struct
import zlib

from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "DatasetsTests", "Fixtures")
IMAGES = os.path.join(ROOT, "images")


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png_bytes(width, height, bit_depth, colour_type, rows, extra_chunks=(), interlace=False):
    """rows: list of per-row sample lists (already in file order, e.g. R,G,B,A,R,...)."""
    def pack_row(samples):
        if bit_depth == 16:
            return b"".join(struct.pack(">H", s) for s in samples)
        if bit_depth == 8:
            return bytes(samples)
        # Sub-byte depths: pack MSB first, pad the last byte with zeros.
        per_byte = 8 // bit_depth
        out = bytearray()
        for start in range(0, len(samples), per_byte):
            group = samples[start:start + per_byte]
            byte = 0
            for position, sample in enumerate(group):
                byte |= sample << (8 - bit_depth * (position + 1))
            out.append(byte)
        return bytes(out)

    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour_type]
    raw = bytearray()
    if not interlace:
        for row in rows:
            raw += b"\x00" + pack_row(row)  # filter type 0 (None)
    else:
        # Adam7: (x0, y0, dx, dy) of the seven passes; empty passes are omitted.
        for x0, y0, dx, dy in [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4),
                               (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]:
            xs = list(range(x0, width, dx))
            if not xs:
                continue
            for y in range(y0, height, dy):
                samples = []
                for x in xs:
                    samples += rows[y][x * channels:(x + 1) * channels]
                raw += b"\x00" + pack_row(samples)
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 1 if interlace else 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + b"".join(extra_chunks)
            + chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + chunk(b"IEND", b""))


def planar(rows, width, height, channels, keep):
    """Interleaved rows -> channels-first list of the first `keep` channels."""
    return [rows[y][x * channels + c] for c in range(keep) for y in range(height) for x in range(width)]


def channels_first(image, channels):
    """A Pillow image's 8-bit values, channels-first."""
    width, height = image.size
    pixels = [image.getpixel((x, y)) for y in range(height) for x in range(width)]
    if channels == 1:
        return list(pixels)
    return [pixel[c] for c in range(channels) for pixel in pixels]


def main():
    os.makedirs(IMAGES, exist_ok=True)
    fixtures = {}

    def add_png(name, width, height, bit_depth, colour_type, rows, channels_kept, expected,
                extra=(), interlace=False):
        data = png_bytes(width, height, bit_depth, colour_type, rows, extra, interlace)
        with open(os.path.join(IMAGES, name), "wb") as handle:
            handle.write(data)
        fixtures[name] = {"channels": channels_kept, "height": height, "width": width,
                          "values": expected, "tolerance": 0}
        return data

    # 8-bit gray, 4x3: value = 20 * (x + 4 y) + 5.
    w, h = 4, 3
    gray = [[20 * (x + 4 * y) + 5 for x in range(w)] for y in range(h)]
    add_png("gray8.png", w, h, 8, 0, gray, 1, planar(gray, w, h, 1, 1))

    # 8-bit gray + alpha: alpha varies (0, 128, 255) and must be dropped, not composited.
    ga = [[v for x in range(w) for v in (gray[y][x], [0, 128, 255][(x + y) % 3])] for y in range(h)]
    add_png("gray_alpha8.png", w, h, 8, 4, ga, 1, planar(ga, w, h, 2, 1))

    # 8-bit RGB, 3x2.
    w, h = 3, 2
    rgb = [[v for x in range(w) for v in (40 * x + 10, 100 * y + 20, 250 - 30 * x - 50 * y)] for y in range(h)]
    rgb_png = add_png("rgb8.png", w, h, 8, 2, rgb, 3, planar(rgb, w, h, 3, 3))

    # 8-bit RGBA, 3x2, alpha 0 / 77 / 255.
    rgba = [[v for x in range(w) for v in (40 * x + 10, 100 * y + 20, 250 - 30 * x - 50 * y, [0, 77, 255][x])]
            for y in range(h)]
    add_png("rgba8.png", w, h, 8, 6, rgba, 3, planar(rgba, w, h, 4, 3))

    # Palette (4 entries) with tRNS, 4x2, 8-bit indices.
    palette = [(255, 0, 0), (0, 200, 0), (10, 20, 250), (128, 128, 128)]
    w, h = 4, 2
    indices = [[(x + 2 * y) % 4 for x in range(w)] for y in range(h)]
    plte = chunk(b"PLTE", bytes(c for entry in palette for c in entry))
    trns = chunk(b"tRNS", bytes([255, 0, 128, 255]))
    expanded = [[c for x in range(w) for c in palette[indices[y][x]]] for y in range(h)]
    add_png("palette.png", w, h, 8, 3, indices, 3, planar(expanded, w, h, 3, 3), extra=(plte, trns))

    # 16-bit gray, 3x2: multiples of 257 (exact in 8 bits) and two that must round.
    w, h = 3, 2
    g16 = [[0, 257 * 100, 65535], [257 * 7, 1000, 40000]]
    add_png("gray16.png", w, h, 16, 0, g16, 1, [round(v / 257) for row in g16 for v in row])

    # 16-bit RGBA, 2x2, alpha not opaque everywhere.
    w, h = 2, 2
    rgba16 = [[257 * 10, 257 * 20, 257 * 30, 65535, 257 * 200, 257 * 100, 257 * 50, 257 * 60],
              [257 * 255, 0, 257 * 128, 0, 12345, 54321, 257 * 1, 30000]]
    fixtures_values = [round(v / 257) for v in planar(rgba16, w, h, 4, 3)]
    add_png("rgba16.png", w, h, 16, 6, rgba16, 3, fixtures_values)

    # 1-bit gray, 10x2 (rows padded to whole bytes).
    w, h = 10, 2
    bits = [[x % 2 for x in range(w)], [1 if x < 5 else 0 for x in range(w)]]
    add_png("gray1.png", w, h, 1, 0, bits, 1, [255 * b for row in bits for b in row])

    # Adam7-interlaced RGB, 9x9 (every pass non-empty).
    w, h = 9, 9
    inter = [[v for x in range(w) for v in ((13 * x + 7 * y) % 256, (29 * y + 3) % 256, (x * y * 5) % 256)]
             for y in range(h)]
    add_png("rgb8_interlaced.png", w, h, 8, 2, inter, 3, planar(inter, w, h, 3, 3), interlace=True)

    # JPEGs: flat 8x8 blocks so the lossy codec stays within a level or two of the source;
    # the expected values are Pillow's decode (libjpeg-turbo, accurate IDCT, fancy upsampling).
    w, h = 16, 16
    block_values = [30, 90, 160, 220]
    gray_jpeg = Image.new("L", (w, h))
    gray_jpeg.putdata([block_values[(x // 8) + 2 * (y // 8)] for y in range(h) for x in range(w)])
    gray_jpeg.save(os.path.join(IMAGES, "gray.jpg"), quality=95)
    colours = [(200, 40, 40), (40, 180, 60), (50, 60, 200), (230, 230, 90)]
    rgb_jpeg = Image.new("RGB", (w, h))
    rgb_jpeg.putdata([colours[(x // 8) + 2 * (y // 8)] for y in range(h) for x in range(w)])
    rgb_jpeg.save(os.path.join(IMAGES, "rgb.jpg"), quality=95, subsampling=0)
    for name, mode in [("gray.jpg", "L"), ("rgb.jpg", "RGB")]:
        decoded = Image.open(os.path.join(IMAGES, name))
        decoded.load()
        assert decoded.mode == mode
        channels = 1 if mode == "L" else 3
        original = gray_jpeg if channels == 1 else rgb_jpeg
        values = channels_first(decoded, channels)
        source = channels_first(original, channels)
        fixtures[name] = {"channels": channels, "height": h, "width": w, "values": values, "tolerance": 1,
                          "source_values": source}

    # Bad files.
    with open(os.path.join(IMAGES, "bad_truncated.png"), "wb") as handle:
        handle.write(rgb_png[:len(rgb_png) - 30])
    broken = bytearray(rgb_png)
    idat = broken.find(b"IDAT")
    broken[idat + 6] ^= 0xFF  # flip a byte of compressed data; the chunk CRC no longer matches
    with open(os.path.join(IMAGES, "bad_crc.png"), "wb") as handle:
        handle.write(bytes(broken))
    with open(os.path.join(IMAGES, "rgb.jpg"), "rb") as handle:
        jpeg = handle.read()
    with open(os.path.join(IMAGES, "bad_truncated.jpg"), "wb") as handle:
        # Cut inside the entropy-coded scan (after the SOS marker FF DA), so the headers parse
        # and libjpeg reports "Premature end of JPEG file".
        scan_start = jpeg.find(b"\xff\xda")
        handle.write(jpeg[:(scan_start + len(jpeg)) // 2])
    with open(os.path.join(IMAGES, "bad_not_an_image.png"), "wb") as handle:
        handle.write(b"this is a text file, not a PNG\n")

    with open(os.path.join(ROOT, "image_fixtures.json"), "w") as handle:
        json.dump(fixtures, handle, sort_keys=True)

    # Resizes of a 5x7 (height x width) float ramp in [0, 1], Pillow mode "F" (no rounding).
    height, width = 5, 7
    ramp = [((3 * x + 5 * y) % 11) / 10.0 for y in range(height) for x in range(width)]
    source = Image.new("F", (width, height))
    source.putdata(ramp)
    cases = []
    for filter_name, resample in [("bilinear", Image.Resampling.BILINEAR), ("bicubic", Image.Resampling.BICUBIC)]:
        for out_h, out_w in [(3, 4), (9, 11), (5, 3)]:
            result = source.resize((out_w, out_h), resample=resample)
            cases.append({"filter": filter_name, "height": out_h, "width": out_w,
                          "values": [float(result.getpixel((x, y))) for y in range(out_h) for x in range(out_w)]})
    with open(os.path.join(ROOT, "resize_fixtures.json"), "w") as handle:
        json.dump({"height": height, "width": width, "values": ramp, "cases": cases}, handle)


if __name__ == "__main__":
    main()
