// <trvae-trainer src="https://…/atlas.zarr" [use-location]>: the whole trainer as a web component
// (use-location: configured by the page's link, with a "Copy link" button), styles
// encapsulated in a shadow root. Emits `trvae-opened` and `trvae-trained` (detail: the source or
// the trained model) so a host page can react.
import styles from './style.css?inline';
import { installFastBlosc } from '../loader/codecs/blosc.ts';
import { mountTrainer, type Trainer } from './app.ts';

export class TrvaeTrainerElement extends HTMLElement {
  static readonly observedAttributes = ['src'];
  private trainer?: Trainer;

  connectedCallback(): void {
    const shadow = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(styles);
    shadow.adoptedStyleSheets = [sheet];
    this.trainer = mountTrainer(shadow, {
      src: this.getAttribute('src') ?? undefined,
      useLocation: this.hasAttribute('use-location'),
      onOpened: (source) => this.dispatchEvent(new CustomEvent('trvae-opened', { detail: source, bubbles: true, composed: true })),
      onTrained: (model) => this.dispatchEvent(new CustomEvent('trvae-trained', { detail: model, bubbles: true, composed: true })),
    });
  }

  disconnectedCallback(): void {
    void this.trainer?.dispose();
    this.trainer = undefined;
  }

  attributeChangedCallback(name: string, previous: string | null, value: string | null): void {
    if (name === 'src' && this.trainer && value && value !== previous) void this.trainer.open({ kind: 'url', url: value });
  }
}

export function defineTrainerElement(tag = 'trvae-trainer'): void {
  // The page reads zarr too (dataset summary, results sample).
  installFastBlosc();
  if (!customElements.get(tag)) customElements.define(tag, TrvaeTrainerElement);
}
