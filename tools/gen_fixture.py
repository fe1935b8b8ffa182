#!/usr/bin/env python3
"""Write volley's test fixture: 5,000 photos, their thumbnails and a jsonplaceholder-style index.

usage: gen_fixture.py OUTDIR HOSTPORT [HTTP_HOSTPORT]

  OUTDIR/600/<hex>    600x600 PNG, about 1.9 KB (one colour plus a few rows of noise)
  OUTDIR/150/<hex>    150x150 PNG, 0.5-1 KB
  OUTDIR/photos       JSON array of 5,000 {"albumId","id","title","url","thumbnailUrl"} objects,
                      pretty-printed with a 2-space indent; URLs are https://HOSTPORT/600/<hex>
  OUTDIR/photos-http  the same with http://HTTP_HOSTPORT/... URLs (only if HTTP_HOSTPORT is given)
  OUTDIR/urls.txt     the photo URLs of OUTDIR/photos, one a line

Standard library only. Every byte comes from one seeded PRNG, so the fixture is reproducible: the
same arguments give the same files on every run and every Python 3 version (random.Random with an
int seed and getrandbits are stable across versions).

The PNGs are real: 1-bit palette images (colour type 3, PNG spec section 11.2.2) so the 600x600
raster is only 45,600 bytes before deflate; the noise rows are random bits, which deflate cannot
shrink, and they are what sets the file size.
"""

import json
import os
import random
import struct
import sys
import zlib

SEED = 20240601
COUNT = 5000
PER_ALBUM = 50

WORDS = (
    "accusamus beatae ad facilis cum similique qui sunt reprehenderit est necessitatibus "
    "officia porro iste autem quia et voluptas odio nisi eum dolorem culpa natus nobis ut "
    "voluptatem quaerat aut sint magni incidunt dolores inventore enim dolore molestiae "
    "harum rerum deleniti fugiat non sit amet omnis minus quam eos veniam neque perferendis "
    "impedit consequatur tempore asperiores ipsa ex velit quasi repellat nam labore"
).split()

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunk(kind, data):
    """One PNG chunk: length, type, data, CRC-32 over type and data."""
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png(rng, size, colour, noise_rows):
    """A size x size 1-bit palette PNG of `colour`, with `noise_rows` random rows."""
    row_bytes = (size + 7) // 8
    plain = b"\x00" + b"\x00" * row_bytes  # filter type 0, every pixel palette index 0
    noisy = set(rng.sample(range(size), noise_rows))
    rows = []
    for y in range(size):
        if y in noisy:
            rows.append(b"\x00" + rng.getrandbits(8 * row_bytes).to_bytes(row_bytes, "little"))
        else:
            rows.append(plain)
    r, g, b = colour
    palette = bytes((r, g, b, 255 - r, 255 - g, 255 - b))
    ihdr = struct.pack(">IIBBBBB", size, size, 1, 3, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + chunk(b"IHDR", ihdr)
        + chunk(b"PLTE", palette)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def unique_colours(rng, n):
    seen = set()
    out = []
    while len(out) < n:
        c = rng.getrandbits(24)
        if c in seen:
            continue
        seen.add(c)
        out.append(c)
    return out


def title(rng):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 9)))


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def index_json(entries, scheme, hostport):
    objs = []
    for album, ident, name, hexname in entries:
        base = "%s://%s" % (scheme, hostport)
        objs.append(
            {
                "albumId": album,
                "id": ident,
                "title": name,
                "url": "%s/600/%s" % (base, hexname),
                "thumbnailUrl": "%s/150/%s" % (base, hexname),
            }
        )
    return json.dumps(objs, indent=2) + "\n"


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write("usage: gen_fixture.py OUTDIR HOSTPORT [HTTP_HOSTPORT]\n")
        return 2
    outdir, hostport = argv[1], argv[2]
    http_hostport = argv[3] if len(argv) == 4 else None
    rng = random.Random(SEED)
    os.makedirs(os.path.join(outdir, "600"), exist_ok=True)
    os.makedirs(os.path.join(outdir, "150"), exist_ok=True)

    entries = []
    for i, c in enumerate(unique_colours(rng, COUNT)):
        hexname = "%06x" % c
        colour = ((c >> 16) & 0xFF, (c >> 8) & 0xFF, c & 0xFF)
        # 600x600: 75 bytes a noise row; 20-22 rows put the file at about 1.85-2.0 KB.
        write(os.path.join(outdir, "600", hexname), png(rng, 600, colour, rng.randint(20, 22)))
        # 150x150: 19 bytes a noise row; 20-40 rows put the file at about 0.5-0.9 KB.
        write(os.path.join(outdir, "150", hexname), png(rng, 150, colour, rng.randint(20, 40)))
        entries.append((i // PER_ALBUM + 1, i + 1, title(rng), hexname))

    write(os.path.join(outdir, "photos"), index_json(entries, "https", hostport).encode())
    if http_hostport:
        body = index_json(entries, "http", http_hostport).encode()
        write(os.path.join(outdir, "photos-http"), body)
    urls = "".join("https://%s/600/%s\n" % (hostport, e[3]) for e in entries)
    write(os.path.join(outdir, "urls.txt"), urls.encode())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
