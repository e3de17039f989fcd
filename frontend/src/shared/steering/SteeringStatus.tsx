import { describeError } from '../errorMessages';
import { useLimits } from '../limits';
import './steering.css';

interface SteeringStatusProps {
  /** What is going on (empty: nothing to say). */
  status: string;
  /** Why the latest re-colorizing failed, if it did. */
  errorCode: string | null;
  /** The sentence before the error's own words: "The colours could not be updated." */
  failure: string;
}

/** The line under pins and vibrance: working on it, or why it could not be done (the last picture stays). */
export function SteeringStatus({ status, errorCode, failure }: SteeringStatusProps) {
  const limits = useLimits();
  return (
    <>
      <p className="result__steering" role="status">
        {status}
      </p>
      {errorCode && (
        <p className="result__steering-problem" role="alert">
          {failure} {describeError(errorCode, limits)}
        </p>
      )}
    </>
  );
}
