// The app page is the web component, used exactly as an embedding page would use it.
import { defineTrainerElement } from './trainer-element.ts';

defineTrainerElement();
