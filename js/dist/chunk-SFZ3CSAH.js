var I=`
:host { all: initial; display: block; font-family: var(--perso-font, system-ui, sans-serif);
  color: var(--perso-fg, #1d1d1f); font-size: var(--perso-font-size, 16px); line-height: 1.45; }
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
a { color: var(--perso-link, var(--perso-accent, #0b57d0)); }
button { font: inherit; cursor: pointer; }
.card { background: var(--perso-bg, #fff); border-radius: var(--perso-radius, 12px); }
.banner { padding: 28px 32px; background: var(--perso-banner-bg, linear-gradient(120deg, #eef4ff, #f6f0ff));
  border-radius: var(--perso-radius, 12px); display: grid; gap: 8px; }
.banner h2 { margin: 0; font-size: 1.7em; line-height: 1.2; }
.banner p { margin: 0; max-width: 60ch; }
.banner img { max-width: 100%; border-radius: var(--perso-radius, 12px); }
.cta { display: inline-block; justify-self: start; margin-top: 6px; padding: 10px 18px; border-radius: 999px;
  background: var(--perso-accent, #0b57d0); color: var(--perso-accent-fg, #fff); text-decoration: none; font-weight: 600; }
.welcome { padding: 10px 0; font-size: 1.1em; font-weight: 600; }
.strip h2 { font-size: 1.2em; margin: 0 0 10px; }
.strip ul { list-style: none; margin: 0; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap: 14px; }
.strip li a { display: grid; gap: 4px; padding: 12px; border: 1px solid var(--perso-border, #e3e3e8);
  border-radius: var(--perso-radius, 12px); text-decoration: none; color: inherit; background: var(--perso-bg, #fff); }
.strip img { width: 100%; aspect-ratio: 4 / 3; object-fit: contain; }
.strip .price { font-weight: 600; }
.why { margin-top: 6px; font-size: 0.78em; color: var(--perso-muted, #6e6e73); }
.why summary { cursor: pointer; list-style: none; text-decoration: underline; width: max-content; }
.why summary::-webkit-details-marker { display: none; }
.why p { margin: 4px 0 0; max-width: 52ch; }
.layer { position: fixed; z-index: var(--perso-z, 2147483000); }
.toast { right: 20px; bottom: 20px; width: min(360px, calc(100vw - 40px)); padding: 18px 20px;
  background: var(--perso-bg, #fff); border-radius: var(--perso-radius, 12px);
  box-shadow: var(--perso-shadow, 0 12px 40px rgba(0,0,0,.18)); }
.backdrop { inset: 0; background: rgba(0,0,0,.45); display: grid; place-items: center; }
.modal { position: relative; width: min(460px, calc(100vw - 32px)); max-height: calc(100vh - 32px); overflow: auto;
  padding: 24px 26px; background: var(--perso-bg, #fff); border-radius: var(--perso-radius, 12px);
  box-shadow: var(--perso-shadow, 0 12px 40px rgba(0,0,0,.25)); }
.popup h2 { margin: 0 28px 6px 0; font-size: 1.25em; }
.popup p { margin: 0 0 8px; }
.close { position: absolute; top: 10px; right: 10px; width: 32px; height: 32px; border: 0; border-radius: 50%;
  background: transparent; font-size: 20px; line-height: 1; color: inherit; }
.close:hover, .close:focus-visible { background: rgba(0,0,0,.08); }
.toast { position: fixed; }
.code { display: inline-block; margin: 4px 0 8px; padding: 6px 12px; border: 2px dashed var(--perso-accent, #0b57d0);
  border-radius: 8px; font-family: ui-monospace, monospace; font-weight: 700; letter-spacing: .05em; }
.terms { font-size: .8em; color: var(--perso-muted, #6e6e73); }
fieldset { border: 0; padding: 0; margin: 8px 0 14px; }
legend { font-weight: 600; margin-bottom: 6px; }
label.option { display: flex; align-items: center; gap: 8px; padding: 4px 0; }
.primary { padding: 10px 18px; border: 0; border-radius: 999px; background: var(--perso-accent, #0b57d0);
  color: var(--perso-accent-fg, #fff); font-weight: 600; }
:focus-visible { outline: 3px solid var(--perso-focus, #0b57d0); outline-offset: 2px; }
@media (prefers-reduced-motion: no-preference) { .toast, .modal { animation: perso-in .18s ease-out; } }
@keyframes perso-in { from { opacity: 0; transform: translateY(8px); } }
.debug { position: fixed; left: 10px; bottom: 10px; z-index: 2147483001; width: min(560px, calc(100vw - 20px));
  max-height: 60vh; overflow: auto; padding: 12px; background: #111; color: #eee; font: 12px/1.4 ui-monospace, monospace;
  border-radius: 8px; opacity: .95; }
.debug h2 { font-size: 13px; margin: 8px 0 4px; color: #9cf; }
.debug pre { margin: 0; white-space: pre-wrap; word-break: break-word; }
`,z=null;function D(e){z||(z=new CSSStyleSheet,z.replaceSync(I)),e.adoptedStyleSheets=[z]}var j="This was worked out on your device from this visit; nothing about your visit was sent anywhere.";function E(e,a,p){if(typeof e!="string"||!p(e))return null;try{let c=new URL(e,a);return c.protocol==="https:"||c.protocol==="http:"?c.href:null}catch{return null}}function t(e,a,p={},...c){let m=e.createElement(a);for(let[o,s]of Object.entries(p))s==null||s===!1||m.setAttribute(o,s===!0?"":String(s));for(let o of c)o==null||o===!1||m.append(typeof o=="string"||typeof o=="number"?e.createTextNode(String(o)):o);return m}function $(e,a){return t(e,"details",{class:"why",part:"why"},t(e,"summary",{},"Why am I seeing this?"),t(e,"p",{},`${a?`${a} `:""}${j}`))}function T(e,a,p,c,m,o){let s=E(a?.url,p,o);if(!s||!a?.label)return null;let i=t(e,"a",{class:c,href:s,part:c},a.label);return i.addEventListener("click",m),i}function A(e,a,p){if(typeof e!="number")return null;try{return new Intl.NumberFormat(p||void 0,{style:"currency",currency:a}).format(e)}catch{return e.toFixed(2)}}function P(e,a,{base:p,currency:c,locale:m,onClick:o,safeUrl:s}){let{action:i,why:r}=a;switch(i.kind){case"banner":{let b=E(i.image,p,s);return t(e,"section",{class:"banner",part:"banner","aria-label":i.title},b?t(e,"img",{src:b,alt:""}):null,t(e,"h2",{},i.title),i.body?t(e,"p",{},i.body):null,T(e,i.cta,p,"cta",o,s),$(e,r))}case"welcome":return t(e,"div",{class:"welcome",part:"welcome"},i.text);case"recommend":{let b=(i.items??[]).map(l=>{let w=E(l.url,p,s),x=E(l.image,p,s),h=[x?t(e,"img",{src:x,alt:"",loading:"lazy"}):null,t(e,"span",{class:"name"},l.name),typeof l.price=="number"?t(e,"span",{class:"price"},A(l.price,c,m)):null],y=w?t(e,"a",{href:w,"data-sku":l.sku},...h):t(e,"div",{},...h);return w&&y.addEventListener("click",o),t(e,"li",{},y)});return b.length===0?null:t(e,"section",{class:"strip",part:"strip","aria-label":i.title},t(e,"h2",{},i.title),t(e,"ul",{},...b),$(e,r))}default:return null}}var F=0;function V(e,a,{base:p,onDismiss:c,onClosed:m=()=>{},onClick:o,onRegister:s,safeUrl:i}){let{action:r,why:b}=a,l=r.display==="modal"||r.kind==="register"&&r.display===void 0,w=`perso-popup-${++F}`,x=t(e,"perso-popup",{"data-perso-campaign":a.campaign,"data-perso-placement":a.placement}),h=x.attachShadow({mode:"open"});D(h);let y=e.activeElement,_=`${w}-title`,C=!1,k=t(e,"button",{class:"close",type:"button","aria-label":"Close"},"\xD7"),u=t(e,"div",{class:`popup ${l?"modal":"toast layer"}`,role:"dialog","aria-modal":l?"true":"false","aria-labelledby":_,part:"popup"},k,t(e,"h2",{id:_},r.title));if(r.kind==="offer"){if(r.body&&u.append(t(e,"p",{},r.body)),r.code&&u.append(t(e,"p",{},"Use code ",t(e,"span",{class:"code"},r.code))),r.expires_in_s){let d=Math.round(r.expires_in_s/3600);u.append(t(e,"p",{class:"terms"},d>=48?`Valid for ${Math.round(d/24)} days.`:`Valid for ${d} hours.`))}r.terms&&u.append(t(e,"p",{class:"terms"},r.terms));let n=T(e,r.cta,p,"cta",o,i);n&&u.append(n)}else if(r.kind==="register"){r.body&&u.append(t(e,"p",{},r.body));let n=t(e,"form",{novalidate:!0});for(let d of r.questions??[]){let g=t(e,"fieldset",{},t(e,"legend",{},d.label));for(let f of d.options??[]){let v=t(e,"input",{type:d.multiple?"checkbox":"radio",name:d.id,value:f.value});g.append(t(e,"label",{class:"option"},v,f.label))}n.append(g)}n.append(t(e,"button",{class:"primary",type:"submit"},r.submit_label||"Submit")),n.addEventListener("submit",d=>{d.preventDefault();let g=[...n.querySelectorAll("input:checked")].map(v=>v.value);C=!0;let f=s(g);n.replaceChildren(t(e,"p",{role:"status"},"Thanks! Your answers stay on this device.")),f?.text&&n.append(t(e,"p",{},f.text)),f?.code&&n.append(t(e,"p",{},"Use code ",t(e,"span",{class:"code"},f.code))),k.focus()}),u.append(n)}u.append($(e,b));let L=l?t(e,"div",{class:"layer backdrop"},u):u;h.append(L);let U=!0,S=n=>{U&&(U=!1,e.removeEventListener("keydown",q),x.remove(),l&&y&&typeof y.focus=="function"&&y.focus(),n==="dismiss"&&!C&&c(),m())},q=n=>{if(n.key==="Escape"){S("dismiss");return}if(l&&n.key==="Tab"){let d=[...u.querySelectorAll("button, a[href], input, select, textarea, summary")],g=d[0],f=d[d.length-1],v=h.activeElement;n.shiftKey&&v===g?(n.preventDefault(),f.focus()):!n.shiftKey&&v===f&&(n.preventDefault(),g.focus())}};return k.addEventListener("click",()=>S("dismiss")),e.addEventListener("keydown",q),l&&L.addEventListener("click",n=>{n.target===L&&S("dismiss")}),e.body.append(x),l&&(u.querySelector("input")??k).focus(),{host:x,close:S}}export{D as a,t as b,P as c,V as d};
