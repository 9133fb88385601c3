// Element Plus, one component module at a time. The package's root index
// reads properties of its all-components installer at load time, which
// keeps every component in the bundle; importing the components the pages
// use from their own modules lets the build leave the rest out.
export { ElAlert } from 'element-plus/es/components/alert/index.mjs'
export { ElButton } from 'element-plus/es/components/button/index.mjs'
export { ElCheckbox, ElCheckboxGroup } from 'element-plus/es/components/checkbox/index.mjs'
export { ElConfigProvider } from 'element-plus/es/components/config-provider/index.mjs'
export { ElDatePicker } from 'element-plus/es/components/date-picker/index.mjs'
export { ElDialog } from 'element-plus/es/components/dialog/index.mjs'
export { ElForm, ElFormItem } from 'element-plus/es/components/form/index.mjs'
export { ElInput } from 'element-plus/es/components/input/index.mjs'
export { ElInputNumber } from 'element-plus/es/components/input-number/index.mjs'
export { vLoading } from 'element-plus/es/components/loading/index.mjs'
export { ElMenu, ElMenuItem, ElSubMenu } from 'element-plus/es/components/menu/index.mjs'
export { ElMessage } from 'element-plus/es/components/message/index.mjs'
export { ElNotification } from 'element-plus/es/components/notification/index.mjs'
export { ElPagination } from 'element-plus/es/components/pagination/index.mjs'
export { ElRadioGroup, ElRadioButton, ElRadio } from 'element-plus/es/components/radio/index.mjs'
export { ElSelect, ElOption } from 'element-plus/es/components/select/index.mjs'
export { ElSlider } from 'element-plus/es/components/slider/index.mjs'
export { ElSwitch } from 'element-plus/es/components/switch/index.mjs'
export { ElTable, ElTableColumn } from 'element-plus/es/components/table/index.mjs'
export { ElTag } from 'element-plus/es/components/tag/index.mjs'
