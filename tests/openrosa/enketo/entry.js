// The bundle the test page loads: Enketo's form engine, its file manager (the photos
// of the open record) and the XForm-to-HTML transformer's browser build (Chromium's
// XSLTProcessor does the XSLT).
import { Form } from 'enketo-core';
import fileManager from 'enketo-core/src/js/file-manager';
import { transform } from 'enketo-transformer/web';

window.HesabuEnketo = { Form, fileManager, transform };
