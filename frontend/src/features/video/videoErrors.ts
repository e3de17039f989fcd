/** Plain words for what can go wrong with a film (the API's stable codes; never the raw JSON). */
const MESSAGES: Record<string, string> = {
  payload_too_large: 'This video is too large to upload. Please trim it or use a smaller file.',
  video_too_long: 'This video is too long. Please trim it to a shorter clip and try again.',
  video_too_many_frames: 'This video has too many frames. Please trim it to a shorter clip and try again.',
  video_frame_too_large: 'This video’s picture is too large. Please scale it down (for example to 1080p) first.',
  unsupported_codec: 'This video uses a codec we cannot read. Please convert it to MP4 (H.264) and try again.',
  invalid_video: 'This file could not be read as a video. It may be damaged, cut short, or not really a video.',
  truncated: 'This video ends before it should: the file seems cut short. Please upload the whole file.',
  no_video_stream: 'This file has no picture, only sound or data.',
  no_frames: 'This video has no frames to colorize.',
  decode_failed: 'This video could not be decoded part-way through. It may be damaged.',
  not_a_video: 'This file could not be read as a video.',
  unsupported_media_type: 'This file type is not supported. Please use an MP4, MOV, MKV, WebM or AVI video.',
  too_many_jobs: 'You already have several videos being colorized. Wait for one to finish, or cancel one.',
  busy: 'The colorizer is busy with other videos right now. Please try again in a few minutes.',
  storage_full: 'The server has no room for more videos right now. Please try again later.',
  result_store_unavailable: 'The server cannot keep videos right now. Please try again later.',
  worker_lost: 'The colorizer stopped while working on this video. Please send it again.',
  encode_failed: 'The colorized video could not be written. Please try again.',
  colorize_failed: 'Something went wrong while colorizing this video. Please try again.',
  not_found: 'This video is no longer on the server (results are kept for a while, then deleted).',
  rate_limited: 'You have sent many files in a short time. Please wait a minute, then try again.',
  network_error: 'The server could not be reached. Check your connection and try again.',
  upstream_unavailable: 'The colorizer cannot be reached right now. Please try again later.',
  aborted: 'The upload was cancelled.',
  // Keyframes (the pins on frames of the film) and reruns.
  keyframe_time_out_of_range:
    'A keyframe is at a time the film does not have (before its start or after its end). Remove it and try again.',
  duplicate_keyframe_time: 'Two keyframes are at the same moment of the film. Remove one of them and try again.',
  too_many_keyframes: 'This film has more keyframes than the colorizer takes. Remove some and try again.',
  empty_keyframe: 'A keyframe has no pins. Add a pin to it, or remove it.',
  invalid_hints: 'A keyframe’s pins were not accepted (each must lie on the picture). Edit the keyframe and try again.',
  invalid_keyframes: 'The keyframes could not be read by the server. Remove them and add them again.',
  keyframe_not_an_image: 'A keyframe’s picture could not be read as an image.',
  keyframe_not_colour: 'A keyframe’s picture is in black and white: a keyframe must be in colour.',
  keyframe_aspect_ratio: 'A keyframe’s picture has another shape than the film. Use a frame of the same film.',
  video_source_gone:
    'The server no longer keeps this film, so it cannot be colorized again from there. Please add the film again.',
  invalid_parameter: 'One of the settings was not accepted. Try again with the default settings.',
};

export function describeVideoError(code: string): string {
  return MESSAGES[code] ?? 'Something went wrong with this video. Please try again.';
}
