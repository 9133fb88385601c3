import { createI18n } from 'vue-i18n'

// Chinese is the console's language; English is one switch away. Codes the
// API returns (categories, states, severities) are translated here too.
const zh = {
  app: { title: '交通 · 数字交通统一基础平台', short: '交通' },
  menu: { overview: '概览', map: '一张图', alarms: '报警中心', playback: '轨迹回放', registry: '基础数据', vehicles: '车辆', operators: '业户', practitioners: '从业人员', stations: '客运站', vessels: '船舶', routes: '班线', dashboard: '运行监测', bigscreen: '指挥大屏', checks: '平台查岗' },
  auth: { login: '登录', username: '用户名', password: '密码', signin: '登录', logout: '退出', required: '请输入用户名和密码', expired: '会话已过期，请重新登录' },
  common: { search: '查询', reset: '重置', total: '共 {n} 条', actions: '操作', create: '新建', edit: '编辑', save: '保存', cancel: '取消', export: '导出', import: '导入', close: '关闭', loading: '加载中…', none: '无', saved: '已保存', all: '全部', yes: '是', no: '否', notes: '备注', confirm: '确定', kmh: 'km/h', open: '打开' },
  overview: { title: '基础数据概览', expiring: '证照到期预警（30 天内）', kind: '证照', holder: '持证主体', number: '证号', until: '有效期至', days: '剩余天数', api: '接口文档' },
  entity: { operators: '业户', vehicles: '车辆', practitioners: '从业人员', stations: '客运站', routes: '班线', vessels: '船舶' },
  map: {
    search: '车牌号', vehicles: '车辆', driving: '行驶', parked: '停车', offline: '离线', alarm: '报警', noWebgl: '此浏览器无法绘制地图（WebGL 不可用），车辆列表仍可使用。',
    live: '实时连接', connected: '已连接', disconnected: '未连接', count: '{shown} / {total} 辆', notFound: '未找到车牌 {plate}', region: '行政区划', state: '状态',
  },
  card: {
    title: '车辆信息', facts: '登记信息', live: '实时状态', speed: '速度', heading: '方向', at: '定位时间', road: '道路限速', driving: '连续驾驶',
    alarms: '最近报警', noAlarms: '无报警', sendText: '下发文本', textPlaceholder: '下发到终端显示屏的文字，如：请注意安全驾驶', send: '发送', sent: '终端已应答：{r}',
    playback: '轨迹回放', follow: '跟随', operator: '所属业户', state: '状态',
    driver: '驾驶员', noDriver: '未登记主驾驶员', licences: '证照有效期', opLicence: '经营许可证', transportCert: '道路运输证', qualification: '从业资格证', valid: '有效', expired: '已过期', expiresIn: '{n} 天后到期', certNo: '资格证号',
  },
  alarm: {
    title: '报警中心', plate: '车牌号', rule: '报警类型', severity: '级别', state: '处理状态', start: '开始时间', duration: '持续', message: '内容', ongoing: '进行中', ended: '已结束',
    acknowledge: '确认', handle: '处置', close: '审核关闭', action: '处置措施', actionHint: '例如：已电话提醒驾驶员', text: '下发文本（可选）', done: '操作成功', newCritical: '新的紧急报警', liveHint: '新报警实时推送',
    detail: '报警详情', evidence: '证据轨迹', peak: '峰值', limit: '限值',
  },
  severity: { critical: '紧急', major: '严重', minor: '一般', info: '提示' },
  alarmState: { raised: '待确认', acknowledged: '已确认', handled: '已处置', closed: '已关闭' },
  registry: {
    searchHint: '名称 / 证号 / 车牌号等关键字', importTitle: '导入 {entity}', importHint: '选择 XLSX 或 CSV 文件（与导出的表头一致）', chooseFile: '选择文件', upload: '上传导入',
    report: '导入结果：共 {total} 行，成功 {imported} 行，失败 {failed} 行', row: '行号', column: '列', reason: '原因', created: '已新建', updated: '已保存', history: '变更记录', when: '时间', who: '操作人', action: '操作', changes: '变更内容',
  },
  field: {
    plate: '车牌号', plate_color: '车牌颜色', vin: '车架号 VIN', vehicle_type: '车辆类型', category: '类别', seats: '核定载客', rated_load_kg: '核定载质量 (kg)', axles: '轴数', operator_id: '所属业户 ID',
    region: '行政区划', transport_cert_no: '道路运输证号', transport_cert_valid_until: '道路运输证有效期', terminal_phone: '终端手机号', terminal_id: '终端 ID', terminal_model: '终端型号', terminal_maker: '终端厂商',
    status: '状态', name: '名称', credit_code: '统一社会信用代码', legal_representative: '法定代表人', address: '地址', contact_person: '联系人', contact_phone: '联系电话', licence_no: '经营许可证号',
    licence_issued: '许可证发证日期', licence_valid_until: '许可证有效期', scopes: '经营范围', id_number: '身份证号', gender: '性别', birth_date: '出生日期', cert_no: '从业资格证号', cert_valid_until: '资格证有效期', phone: '电话',
    level: '站级', lon: '经度', lat: '纬度', mmsi: 'MMSI', imo: 'IMO 编号', call_sign: '呼号', vessel_type: '船舶类型', gross_tonnage: '总吨', port_of_registry: '船籍港', driver_id: '主驾驶员',
    code: '班线编号', origin_station_id: '始发站 ID', destination_station_id: '终点站 ID', line_class: '班线类别', corridor_width_m: '线路宽度 (米)', distance_km: '里程 (km)', valid_from: '有效期起', valid_until: '有效期至', corridor: '线路走廊',
  },
  category: { coach: '班线客车', charter: '包车客车', tourism: '旅游客车', hazmat: '危险货物运输车', heavy_truck: '重型货车', tractor: '半挂牵引车', truck: '普通货车', taxi: '出租车', bus: '公交车',
    passenger_driver: '道路旅客运输驾驶员', freight_driver: '道路货物运输驾驶员', hazmat_driver: '危险货物运输驾驶员', hazmat_loader: '危险货物装卸管理人员', hazmat_escort: '危险货物押运人员', taxi_driver: '出租汽车驾驶员', ride_hailing_driver: '网约车驾驶员', maintenance_engineer: '机动车维修技术人员' },
  status: { in_service: '营运', out_of_service: '停运', scrapped: '报废', active: '营业', suspended: '停业', cancelled: '注销' },
  scope: { scheduled_coach: '班车客运', charter: '包车客运', tourism: '旅游客运', hazmat: '危险货物运输', general_freight: '普通货运', taxi: '出租汽车', bus: '公共汽电车', ride_hailing: '网约车', maintenance: '机动车维修', training: '驾驶员培训' },
  level: { level1: '一级客运站', level2: '二级客运站', level3: '三级客运站', level4: '四级客运站', level5: '五级客运站', simple: '简易车站', stop: '招呼站' },
  auditAction: { create: '新建', update: '修改', delete: '删除', import: '导入' },
  plateColor: { 1: '蓝', 2: '黄', 3: '黑', 4: '白', 5: '绿', 9: '其他', 93: '黄绿' },
  licence: { operating_licence: '道路运输经营许可证', transport_certificate: '道路运输证', qualification: '从业资格证' },
  lineClass: { class1: '一类班线', class2: '二类班线', class3: '三类班线', class4: '四类班线' },
  corridor: { hint: '在地图上单击添加拐点，拖动拐点移动，右键单击拐点删除；灰色带为线路宽度', points: '{n} 个拐点', undo: '撤销', clear: '清空', fit: '全览', length: '全长 {km} km' },
  dashboard: {
    title: '运行监测', today: '今日考核指标', network: '入网率', online: '上线率', track: '轨迹完整率', quality: '数据合格率', drift: '漂移率', checkRate: '查岗响应率',
    noData: '暂无统计（每隔几分钟汇总一次）', trend: '报警趋势（近 {n} 天）', byRegion: '报警排名 · 行政区划', byOperator: '报警排名 · 业户', byRule: '报警类型构成', alarms: '报警数', critical: '紧急', open: '未关闭',
    fleet: '车辆实时状态', total: '车辆总数', days7: '近 7 天', days30: '近 30 天', bigscreen: '指挥大屏', indicatorsByRegion: '各地考核指标',
  },
  bigscreen: { title: '道路运输安全监管指挥大屏', exit: '退出大屏', fullscreen: '全屏', liveAlarms: '实时报警', todayAlarms: '今日报警', onlineNow: '在线车辆', driving: '行驶中', inAlarm: '报警中', updated: '更新于 {t}' },
  checks: {
    title: '平台查岗', send: '发起查岗', question: '查岗内容', questionHint: '例如：请报告当前值班人员姓名', target: '查岗对象', byOperator: '指定业户', byRegion: '辖区全部业户', operator: '业户', region: '行政区划代码',
    limit: '应答时限（分钟）', sent: '已向 {n} 家业户发出查岗', list: '查岗记录', pending: '待应答', answer: '应答', answerHint: '例如：值班员张三在岗', answered: '已应答', sentAt: '发出时间', dueAt: '应答时限', answeredAt: '应答时间', by: '应答人',
    status: '状态', stats: '查岗响应率（近 7 天）', rate: '响应率', meanS: '平均应答用时', overdue: '已超时', toAnswer: '待我应答', sentCount: '查岗次数', onTime: '按时应答', late: '超时应答', missed: '未应答',
  },
  checkStatus: { pending: '待应答', answered: '按时应答', late: '超时应答', missed: '未应答' },
  waybill: {
    menu: '电子运单', title: '危险货物道路运输电子运单', create: '新建运单', createTitle: '新建电子运单（草稿）', editTitle: '编辑运单 {n}',
    statsIssued: '近 30 天签发', statsStates: '状态', statsClasses: '类别', statsCarriers: '承运人', coverage: '电子运单覆盖率', coverageHint: '载货行驶的危货车辆（车·日）{loaded}，有运单 {covered}', coverageNone: '统计期内没有载货行驶的危货车辆',
    searchHint: '运单编号 / 车牌 / 承运人', state: '状态', carrier: '承运人', plate: '车牌号', unNumber: 'UN 编号', departFrom: '起运日期从', departTo: '至', exportXlsx: '导出 XLSX',
    number: '运单编号', goods: '货物', fromTo: '装货地 → 卸货地', departure: '计划起运', arrival: '计划到达', detail: '详情', qr: '二维码',
    routeNeedsPoints: '请先在地图上选定装货地和卸货地（或单击路线拐点）', straightLegs: '{n} 段不在路网覆盖范围内，按直线连接', draftSaved: '草稿已保存：{n}', issued: '运单 {n} 已签发',
    saveDraft: '保存草稿', issue: '签发', problemsTitle: '签发校验未通过：{n} 项', parties: '托运与承运', dispatcher: '调度人', urban: '城市配送',
    shipper: '托运人', consignee: '收货人', loader: '装货人', contact: '联系人', phone: '电话', vehicleAndCrew: '车辆与人员', vehicle: '车辆 / 牵引车', trailer: '挂车', driver: '驾驶员', escort: '押运员',
    goodsName: '危险货物品名', class: '类别/项别', packingGroup: '包装类别', quantity: '数量', density: '密度 (kg/L)', packaging: '包装规格', removeLine: '删除', addLine: '添加货物',
    trip: '行程', loading: '装货地', unloading: '卸货地', address: '地址', point: '位置', notPicked: '未选点', pickOnMap: '地图选点', windowStart: '时间窗开始', windowEnd: '时间窗结束', radius: '半径 (米)',
    emergency: '应急联系人', contactName: '姓名', role: '身份', addContact: '添加联系人', other: '其他', wasteManifest: '危险废物转移联单号',
    routeMode: '路线', mapHint: '选择“装货地”“卸货地”后在地图上单击定位；选择“路线”后单击添加拐点，或用“沿道路规划”自动生成。',
    alongRoads: '沿道路规划', undo: '撤销', clear: '清空', vertices: '{n} 个点', corridorWidth: '走廊宽度 (米)', routeWords: '路线说明',
    reasonRequired: '请填写作废原因', moved: '状态已变更为 {s}', printQr: '打印 / 二维码', cancelReason: '作废原因', note: '备注（可选）',
    facts: '运单信息', route: '计划路线', issuedAt: '签发时间', timeline: '状态记录', mapTitle: '路线与车辆位置', noPosition: '暂无车辆位置', legendCorridor: '计划路线走廊', alarms: '运单相关报警',
    printTitle: '电子运单', backToDetail: '返回', print: '打印', scanToVerify: '扫码核验运单真伪', noQr: '草稿尚未签发，没有二维码', qrFailed: '二维码加载失败',
    to: { issued: '签发', loading: '开始装货', in_transit: '在途', delivered: '送达', cancelled: '作废' },
    action: { create: '创建', update: '修改', issue: '签发', transition: '状态变更', cancel: '作废' },
  },
  waybillState: { draft: '草稿', issued: '已签发', loading: '装货中', in_transit: '运输中', delivered: '已送达', cancelled: '已作废' },
  playback: { vehicle: '车牌号或车辆 ID', from: '开始', to: '结束', load: '查询轨迹', play: '播放', pause: '暂停', speed: '倍速', points: '{n} 个定位点', none: '该时段没有轨迹', export: '导出', chart: '速度曲线', stops: '停车 {n} 次', alarms: '报警 {n} 条' },
}

type Messages = typeof zh

const en: Messages = {
  app: { title: 'Jiaotong · Digital Transport Platform', short: 'Jiaotong' },
  menu: { overview: 'Overview', map: 'Live map', alarms: 'Alarm center', playback: 'Track playback', registry: 'Registry', vehicles: 'Vehicles', operators: 'Operators', practitioners: 'Practitioners', stations: 'Stations', vessels: 'Vessels', routes: 'Routes', dashboard: 'Dashboard', bigscreen: 'Command screen', checks: 'Platform checks' },
  auth: { login: 'Log in', username: 'Username', password: 'Password', signin: 'Log in', logout: 'Log out', required: 'Enter a username and a password', expired: 'Your session has ended; please log in again' },
  common: { search: 'Search', reset: 'Reset', total: '{n} in total', actions: 'Actions', create: 'New', edit: 'Edit', save: 'Save', cancel: 'Cancel', export: 'Export', import: 'Import', close: 'Close', loading: 'Loading…', none: 'None', saved: 'Saved', all: 'All', yes: 'Yes', no: 'No', notes: 'Notes', confirm: 'OK', kmh: 'km/h', open: 'Open' },
  overview: { title: 'Master data', expiring: 'Licences expiring within 30 days', kind: 'Licence', holder: 'Holder', number: 'Number', until: 'Valid until', days: 'Days left', api: 'API description' },
  entity: { operators: 'Operators', vehicles: 'Vehicles', practitioners: 'Practitioners', stations: 'Stations', routes: 'Routes', vessels: 'Vessels' },
  map: {
    search: 'Plate', vehicles: 'Vehicles', driving: 'Driving', parked: 'Parked', offline: 'Offline', alarm: 'In alarm', noWebgl: 'This browser cannot draw the map (no WebGL); the vehicle list still works.',
    live: 'Live link', connected: 'connected', disconnected: 'disconnected', count: '{shown} / {total} vehicles', notFound: 'No vehicle with plate {plate}', region: 'Region', state: 'State',
  },
  card: {
    title: 'Vehicle', facts: 'Registration', live: 'Live', speed: 'Speed', heading: 'Heading', at: 'Fix time', road: 'Road limit', driving: 'Continuous driving',
    alarms: 'Last alarms', noAlarms: 'No alarms', sendText: 'Send a text', textPlaceholder: 'Text for the terminal display, e.g. drive safely', send: 'Send', sent: 'Terminal replied: {r}',
    playback: 'Playback', follow: 'Follow', operator: 'Operator', state: 'State',
    driver: 'Driver', noDriver: 'No main driver registered', licences: 'Licence validity', opLicence: 'Operating licence', transportCert: 'Transport certificate', qualification: 'Qualification', valid: 'valid', expired: 'expired', expiresIn: 'expires in {n} days', certNo: 'Qualification no.',
  },
  alarm: {
    title: 'Alarm center', plate: 'Plate', rule: 'Type', severity: 'Severity', state: 'State', start: 'Started', duration: 'Duration', message: 'Message', ongoing: 'Ongoing', ended: 'Ended',
    acknowledge: 'Acknowledge', handle: 'Handle', close: 'Review & close', action: 'Action taken', actionHint: 'e.g. phoned the driver', text: 'Text to the driver (optional)', done: 'Done', newCritical: 'New critical alarm', liveHint: 'New alarms arrive live',
    detail: 'Alarm detail', evidence: 'Evidence track', peak: 'Peak', limit: 'Limit',
  },
  severity: { critical: 'Critical', major: 'Major', minor: 'Minor', info: 'Info' },
  alarmState: { raised: 'Raised', acknowledged: 'Acknowledged', handled: 'Handled', closed: 'Closed' },
  registry: {
    searchHint: 'Name, number or plate', importTitle: 'Import {entity}', importHint: 'Choose an XLSX or CSV file (same headers as the export)', chooseFile: 'Choose file', upload: 'Import',
    report: 'Import result: {total} rows, {imported} imported, {failed} rejected', row: 'Row', column: 'Column', reason: 'Reason', created: 'Created', updated: 'Saved', history: 'History', when: 'When', who: 'By', action: 'Action', changes: 'Changes',
  },
  field: {
    plate: 'Plate', plate_color: 'Plate colour', vin: 'VIN', vehicle_type: 'Vehicle type', category: 'Category', seats: 'Seats', rated_load_kg: 'Rated load (kg)', axles: 'Axles', operator_id: 'Operator ID',
    region: 'Region', transport_cert_no: 'Transport cert. no.', transport_cert_valid_until: 'Transport cert. valid until', terminal_phone: 'Terminal phone', terminal_id: 'Terminal ID', terminal_model: 'Terminal model', terminal_maker: 'Terminal maker',
    status: 'Status', name: 'Name', credit_code: 'Credit code', legal_representative: 'Legal representative', address: 'Address', contact_person: 'Contact', contact_phone: 'Contact phone', licence_no: 'Operating licence no.',
    licence_issued: 'Licence issued', licence_valid_until: 'Licence valid until', scopes: 'Business scope', id_number: 'ID number', gender: 'Gender', birth_date: 'Birth date', cert_no: 'Qualification no.', cert_valid_until: 'Qualification valid until', phone: 'Phone',
    level: 'Level', lon: 'Longitude', lat: 'Latitude', mmsi: 'MMSI', imo: 'IMO number', call_sign: 'Call sign', vessel_type: 'Vessel type', gross_tonnage: 'Gross tonnage', port_of_registry: 'Port of registry', driver_id: 'Main driver',
    code: 'Route code', origin_station_id: 'Origin station ID', destination_station_id: 'Destination station ID', line_class: 'Line class', corridor_width_m: 'Corridor width (m)', distance_km: 'Distance (km)', valid_from: 'Valid from', valid_until: 'Valid until', corridor: 'Corridor',
  },
  category: { coach: 'Scheduled coach', charter: 'Charter coach', tourism: 'Tourist coach', hazmat: 'Hazmat', heavy_truck: 'Heavy truck', tractor: 'Tractor', truck: 'Truck', taxi: 'Taxi', bus: 'Bus',
    passenger_driver: 'Passenger driver', freight_driver: 'Freight driver', hazmat_driver: 'Hazmat driver', hazmat_loader: 'Hazmat loading manager', hazmat_escort: 'Hazmat escort', taxi_driver: 'Taxi driver', ride_hailing_driver: 'Ride-hailing driver', maintenance_engineer: 'Maintenance engineer' },
  status: { in_service: 'In service', out_of_service: 'Out of service', scrapped: 'Scrapped', active: 'Active', suspended: 'Suspended', cancelled: 'Cancelled' },
  scope: { scheduled_coach: 'Scheduled coach', charter: 'Charter', tourism: 'Tourism', hazmat: 'Hazmat', general_freight: 'General freight', taxi: 'Taxi', bus: 'Bus', ride_hailing: 'Ride-hailing', maintenance: 'Maintenance', training: 'Driver training' },
  level: { level1: 'Class 1 station', level2: 'Class 2 station', level3: 'Class 3 station', level4: 'Class 4 station', level5: 'Class 5 station', simple: 'Simple station', stop: 'Request stop' },
  auditAction: { create: 'Create', update: 'Update', delete: 'Delete', import: 'Import' },
  plateColor: { 1: 'Blue', 2: 'Yellow', 3: 'Black', 4: 'White', 5: 'Green', 9: 'Other', 93: 'Yellow-green' },
  licence: { operating_licence: 'Operating licence', transport_certificate: 'Transport certificate', qualification: 'Qualification certificate' },
  lineClass: { class1: 'Class 1 line', class2: 'Class 2 line', class3: 'Class 3 line', class4: 'Class 4 line' },
  corridor: { hint: 'Click the map to add a vertex, drag a vertex to move it, right-click a vertex to delete it; the grey band is the corridor width', points: '{n} vertices', undo: 'Undo', clear: 'Clear', fit: 'Fit', length: 'Length {km} km' },
  dashboard: {
    title: 'Dashboard', today: "Today's indicators", network: 'Network rate', online: 'Online rate', track: 'Track completeness', quality: 'Data qualification', drift: 'Drift rate', checkRate: 'Check response',
    noData: 'No figures yet (summed every few minutes)', trend: 'Alarms, last {n} days', byRegion: 'Alarms by region', byOperator: 'Alarms by enterprise', byRule: 'Alarms by type', alarms: 'Alarms', critical: 'Critical', open: 'Not closed',
    fleet: 'Fleet now', total: 'Vehicles', days7: 'Last 7 days', days30: 'Last 30 days', bigscreen: 'Command screen', indicatorsByRegion: 'Indicators by region',
  },
  bigscreen: { title: 'Road Transport Safety Command Center', exit: 'Leave', fullscreen: 'Full screen', liveAlarms: 'Live alarms', todayAlarms: 'Alarms today', onlineNow: 'Online', driving: 'Driving', inAlarm: 'In alarm', updated: 'Updated {t}' },
  checks: {
    title: 'Platform checks', send: 'Send a check', question: 'Question', questionHint: 'e.g. report the name of the person on duty', target: 'Ask', byOperator: 'One enterprise', byRegion: 'Every enterprise of a region', operator: 'Enterprise', region: 'Region code',
    limit: 'Time limit (minutes)', sent: 'Check sent to {n} enterprises', list: 'Checks', pending: 'Pending', answer: 'Answer', answerHint: 'e.g. Zhang San is on duty', answered: 'Answered', sentAt: 'Sent', dueAt: 'Answer by', answeredAt: 'Answered at', by: 'Answered by',
    status: 'Status', stats: 'Response rate, last 7 days', rate: 'Response rate', meanS: 'Mean answer time', overdue: 'overdue', toAnswer: 'To answer', sentCount: 'Checks', onTime: 'On time', late: 'Late', missed: 'Missed',
  },
  checkStatus: { pending: 'Pending', answered: 'On time', late: 'Late', missed: 'Missed' },
  waybill: {
    menu: 'E-waybills', title: 'Dangerous-goods e-waybills', create: 'New waybill', createTitle: 'New e-waybill (draft)', editTitle: 'Edit waybill {n}',
    statsIssued: 'Issued, 30 days', statsStates: 'States', statsClasses: 'Classes', statsCarriers: 'Carriers', coverage: 'E-waybill coverage', coverageHint: 'Loaded hazmat vehicle-days {loaded}, with a waybill {covered}', coverageNone: 'No hazmat vehicle moved loaded in the period',
    searchHint: 'Number, plate or carrier', state: 'State', carrier: 'Carrier', plate: 'Plate', unNumber: 'UN number', departFrom: 'Departure from', departTo: 'to', exportXlsx: 'Export XLSX',
    number: 'Waybill no.', goods: 'Goods', fromTo: 'Loading → unloading', departure: 'Planned departure', arrival: 'Planned arrival', detail: 'Detail', qr: 'QR code',
    routeNeedsPoints: 'Pick the loading and unloading places on the map first (or click route vertices)', straightLegs: '{n} legs are outside the road network and stay straight', draftSaved: 'Draft saved: {n}', issued: 'Waybill {n} issued',
    saveDraft: 'Save draft', issue: 'Issue', problemsTitle: 'The issue checks failed: {n} problems', parties: 'Parties', dispatcher: 'Dispatcher', urban: 'Urban distribution',
    shipper: 'Shipper', consignee: 'Consignee', loader: 'Loader', contact: 'Contact', phone: 'Phone', vehicleAndCrew: 'Vehicle and crew', vehicle: 'Vehicle / tractor', trailer: 'Trailer', driver: 'Driver', escort: 'Escort',
    goodsName: 'Proper shipping name', class: 'Class/division', packingGroup: 'Packing group', quantity: 'Quantity', density: 'Density (kg/L)', packaging: 'Packaging', removeLine: 'Remove', addLine: 'Add goods',
    trip: 'Trip', loading: 'Loading place', unloading: 'Unloading place', address: 'Address', point: 'Position', notPicked: 'not picked', pickOnMap: 'Pick on map', windowStart: 'Window start', windowEnd: 'Window end', radius: 'Radius (m)',
    emergency: 'Emergency contacts', contactName: 'Name', role: 'Role', addContact: 'Add contact', other: 'Other', wasteManifest: 'Hazardous waste manifest no.',
    routeMode: 'Route', mapHint: 'With "Loading place" or "Unloading place" chosen, click the map to place it; with "Route", click to add vertices, or plan along the roads.',
    alongRoads: 'Route along roads', undo: 'Undo', clear: 'Clear', vertices: '{n} points', corridorWidth: 'Corridor width (m)', routeWords: 'Route description',
    reasonRequired: 'Give the reason for the cancellation', moved: 'State changed to {s}', printQr: 'Print / QR code', cancelReason: 'Reason for cancellation', note: 'Note (optional)',
    facts: 'Waybill', route: 'Planned route', issuedAt: 'Issued', timeline: 'State history', mapTitle: 'Route and vehicle', noPosition: 'No vehicle position yet', legendCorridor: 'Planned route corridor', alarms: 'Waybill alarms',
    printTitle: 'E-waybill', backToDetail: 'Back', print: 'Print', scanToVerify: 'Scan to verify the waybill', noQr: 'A draft has no QR code yet', qrFailed: 'The QR code could not be loaded',
    to: { issued: 'Issue', loading: 'Start loading', in_transit: 'In transit', delivered: 'Delivered', cancelled: 'Cancel' },
    action: { create: 'Created', update: 'Edited', issue: 'Issued', transition: 'State change', cancel: 'Cancelled' },
  },
  waybillState: { draft: 'Draft', issued: 'Issued', loading: 'Loading', in_transit: 'In transit', delivered: 'Delivered', cancelled: 'Cancelled' },
  playback: { vehicle: 'Plate or vehicle ID', from: 'From', to: 'To', load: 'Load track', play: 'Play', pause: 'Pause', speed: 'Speed', points: '{n} fixes', none: 'No track in this window', export: 'Export', chart: 'Speed', stops: '{n} stops', alarms: '{n} alarms' },
}

export type Lang = 'zh-CN' | 'en'

export function savedLang(): Lang {
  return localStorage.getItem('jt.lang') === 'en' ? 'en' : 'zh-CN'
}

export const i18n = createI18n({
  legacy: false,
  locale: savedLang(),
  fallbackLocale: 'zh-CN',
  messages: { 'zh-CN': zh, en },
})

export function setLang(lang: Lang): void {
  i18n.global.locale.value = lang
  localStorage.setItem('jt.lang', lang)
  document.documentElement.lang = lang
}

/** Translates an API code (category, status …) in a group, or shows the code. */
export function label(group: string, code: unknown): string {
  if (code === undefined || code === null || code === '') return ''
  const key = `${group}.${String(code)}`
  return i18n.global.te(key) ? i18n.global.t(key) : String(code)
}
