import { useEffect, useRef, type RefObject } from 'react';

interface VideoCompareProps {
  name: string;
  /** The film as chosen (null after a reload: the result plays alone). */
  beforeUrl: string | null;
  afterUrl: string;
  /** The card's own refs to the two films (to take a frame from them). */
  beforeRef?: RefObject<HTMLVideoElement | null>;
  afterRef?: RefObject<HTMLVideoElement | null>;
}

/**
 * Before and after side by side: the colorized film has the controls and the original follows it.
 * Mounted anew for another pair of URLs (the caller keys it), so the pairing is made once.
 */
export function VideoCompare({ name, beforeUrl, afterUrl, beforeRef, afterRef }: VideoCompareProps) {
  const ownBefore = useRef<HTMLVideoElement>(null);
  const ownAfter = useRef<HTMLVideoElement>(null);
  const before = beforeRef ?? ownBefore;
  const after = afterRef ?? ownAfter;

  useEffect(() => {
    const leader = after.current;
    const follower = before.current;
    if (!leader || !follower) return undefined;
    const follow = () => {
      if (Math.abs(follower.currentTime - leader.currentTime) > 0.15) follower.currentTime = leader.currentTime;
    };
    const play = () => {
      follow();
      follower.play().catch(() => undefined);
    };
    const pause = () => {
      follower.pause();
      follow();
    };
    const rate = () => {
      follower.playbackRate = leader.playbackRate;
    };
    leader.addEventListener('play', play);
    leader.addEventListener('pause', pause);
    leader.addEventListener('seeked', follow);
    leader.addEventListener('timeupdate', follow);
    leader.addEventListener('ratechange', rate);
    return () => {
      leader.removeEventListener('play', play);
      leader.removeEventListener('pause', pause);
      leader.removeEventListener('seeked', follow);
      leader.removeEventListener('timeupdate', follow);
      leader.removeEventListener('ratechange', rate);
    };
  }, [before, after]);

  return (
    <div className={`video-compare${beforeUrl ? '' : ' video-compare--single'}`}>
      {beforeUrl && (
        <figure className="video-compare__side">
          {/* oxlint-disable-next-line jsx-a11y/media-has-caption -- the user's own silent original: no captions exist */}
          <video ref={before} src={beforeUrl} muted playsInline preload="metadata" aria-label={`Original: ${name}`} />
          <figcaption>Before</figcaption>
        </figure>
      )}
      <figure className="video-compare__side">
        {/* oxlint-disable-next-line jsx-a11y/media-has-caption -- a colorized home movie has no captions to offer */}
        <video ref={after} src={afterUrl} controls playsInline preload="metadata" aria-label={`Colorized: ${name}`} />
        <figcaption>After</figcaption>
      </figure>
    </div>
  );
}
