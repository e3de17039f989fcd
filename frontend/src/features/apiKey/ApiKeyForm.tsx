import { useId, useState, type FormEvent } from 'react';

import { apiKeyStore } from '../../api/apiKey';
import { describeError } from '../../shared/errorMessages';
import { useLimits } from '../../shared/limits';
import './apiKey.css';

interface ApiKeyFormProps {
  /** Why the last key was refused (an API error code), if it was. */
  refusedCode: string | null;
}

/**
 * Asked once when the server needs an API key (GATEWAY_AUTH=keys): the key is kept
 * in this browser (api/apiKey.ts) until the server refuses it, when this form comes
 * back saying why.
 */
export function ApiKeyForm({ refusedCode }: ApiKeyFormProps) {
  const [value, setValue] = useState('');
  const inputId = useId();
  const limits = useLimits();

  function submit(event: FormEvent) {
    event.preventDefault();
    if (value.trim()) apiKeyStore.use(value);
  }

  return (
    <form className="api-key" onSubmit={submit} aria-labelledby={`${inputId}-title`}>
      <h2 id={`${inputId}-title`} className="section-title">
        This server needs an API key
      </h2>
      {refusedCode && refusedCode !== 'api_key_missing' ? (
        <p className="api-key__problem" role="alert">
          {describeError(refusedCode, limits)}
        </p>
      ) : (
        <p>Enter the key you were given. It is kept in this browser only, and sent to this server alone.</p>
      )}
      <div className="field">
        <label htmlFor={inputId}>API key</label>
        <input
          id={inputId}
          type="password"
          autoComplete="off"
          spellCheck={false}
          placeholder="clr_..."
          value={value}
          onChange={(event) => setValue(event.target.value)}
        />
      </div>
      <button type="submit" className="button button--primary" disabled={!value.trim()}>
        Use this key
      </button>
    </form>
  );
}
