#!/bin/sh
# make-clip.sh OUT_DIR [SECONDS]: encodes the load generator's clip once with
# GStreamer: VP8 at ~1.5 Mbit/s (640x360, 30 fps, key frame every 2 s) and
# Opus at 48 kHz, payloaded to RTP and written RFC 4571-framed (2-byte big
# endian length before each packet) to OUT_DIR/clip-video.rtp and
# OUT_DIR/clip-audio.rtp. The load generator paces packets by their RTP
# timestamps, so no other timing is stored. Needs gstreamer1.0-tools,
# -plugins-base (videotestsrc, audiotestsrc), -plugins-good (vp8enc, rtp*pay)
# and libopus (opusenc).
set -eu
out=${1:?usage: make-clip.sh OUT_DIR [SECONDS]}
secs=${2:-10}
mkdir -p "$out"
vframes=$((secs * 30))
abuffers=$((secs * 50))
# Coarse "snow" (80x45 noise scaled up) lands near 1.5 Mbit/s: fine snow does not
# compress and overshoots any CBR target; a smooth pattern undershoots it.
timeout 120 gst-launch-1.0 -q \
  videotestsrc pattern=snow num-buffers=$vframes is-live=false \
  ! video/x-raw,width=80,height=45,framerate=30/1 ! videoscale method=nearest-neighbour \
  ! video/x-raw,width=640,height=360,framerate=30/1 \
  ! vp8enc target-bitrate=1500000 end-usage=cbr deadline=1 cpu-used=8 \
      keyframe-max-dist=60 threads=2 \
  ! rtpvp8pay mtu=1200 pt=96 ssrc=1 picture-id-mode=15-bit \
  ! rtpstreampay ! filesink location="$out/clip-video.rtp.tmp"
timeout 60 gst-launch-1.0 -q \
  audiotestsrc wave=sine freq=440 num-buffers=$abuffers samplesperbuffer=960 is-live=false \
  ! audio/x-raw,rate=48000,channels=2 \
  ! opusenc bitrate=48000 frame-size=20 \
  ! rtpopuspay pt=111 ssrc=2 \
  ! rtpstreampay ! filesink location="$out/clip-audio.rtp.tmp"
mv "$out/clip-video.rtp.tmp" "$out/clip-video.rtp"
mv "$out/clip-audio.rtp.tmp" "$out/clip-audio.rtp"
